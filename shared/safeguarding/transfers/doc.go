// Package transfers moves a pupil's safeguarding file to the pupil's new school (rule S5).
//
// A DSL (or the Senior DSL) of the sending school records the move and the school the pupil
// moves to. The transfer is then due (status "due") by the end of the 5th school day after the
// day the move was recorded, counted by the sending school's own calendar, and sits on the
// deadline ladder (D8) until the file is sent. Sending depends on where the pupil goes:
//
//   - to a school of the federation, the whole file is copied into the receiving school with
//     its provenance (the store does the copy in chunks that resume), the transfer is "sent" and
//     the receiving school's DSLs are alerted; one of them confirms receipt ("received");
//   - to a school outside it, the sending DSL's export of the file is kept behind a link that
//     works for LinkValidity and asks for a one-time code the DSL gives the named DSL there by
//     phone; the link (never the code) is emailed to that DSL. The first download with the right
//     code is the receipt ("received"); MaxTries wrong codes lock the link.
//
// The sending school keeps its copy: nothing is removed or changed in its records. Both schools
// see the transfer's status and history.
package transfers
