// Package attendance is rule C9's list: the pupils of a school whose attendance, as its MIS
// export last gave it, is below 90%, lowest first, for the office and the DSLs, each with the
// reasons logged so far. A reason is a concern of the category Attendance (rule C2) in the
// pupil's chronology: the office logs absence and lateness reasons as such concerns.
//
// What a reason shows follows rule P2: its reporter, the staff tagged in it and the DSLs see
// its reference, sub-categories, what was written and who wrote it; anyone else on the list
// (a member of the office who did not write it) sees only that a reason was logged and when,
// so that they know it is there without reading it. A reason about a member of staff is left
// out for whoever may not see it (C5): not even its date. Every reading is audited (P4).
//
// It depends on the kernel only: the pupils and the chronology entries are the kernel's.
package attendance
