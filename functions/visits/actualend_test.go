package main

import "testing"

// Rule V6 counts from the visit's actual end: a visit planned to end at 11:00 whose staff
// check out at 12:10 has its observations due at 12:10 the next day, not 11:00; one that ends
// early at 10:40 has them due at 10:40.
// next is the next visit arranged before leaving (V7), so that only the observations are due.
const next = `{"nextVisitAt":"2027-03-08T10:00:00Z","supportOffered":"Signposted to the food bank."}`

func TestRule_V6_ObservationsDueFromTheActualEnd(t *testing.T) {
	w := newWorld(t)
	id := w.started()
	path := visitsPath + "/" + id
	w.ok("POST", path+"/next", tom, next, "2027-03-01 10:50")
	v := w.ok("POST", path+"/checkout", tom, "", "2027-03-01 12:10")
	if d := v["observationsDue"].(map[string]any); d["dueAt"] != "2027-03-02T12:10:00Z" || d["open"] != true {
		t.Fatalf("observations due %v", d)
	}
	w.deadlines("2027-03-02 11:00")
	if a := w.alerts("overdue"); len(a) != 0 {
		t.Fatalf("overdue from the planned end: %v", a)
	}
	w.deadlines("2027-03-02 12:10")
	if a := w.alerts("overdue"); len(a) != 1 || a[0] != "assignee "+tom+" email normal" {
		t.Errorf("overdue alerts %v", a)
	}

	early := newWorld(t)
	id = early.started()
	early.ok("POST", visitsPath+"/"+id+"/next", tom, next, "2027-03-01 10:30")
	v = early.ok("POST", visitsPath+"/"+id+"/checkout", priya, "", "2027-03-01 10:40")
	if d := v["observationsDue"].(map[string]any); d["dueAt"] != "2027-03-02T10:40:00Z" {
		t.Errorf("observations due %v after an early check-out", d)
	}
	early.deadlines("2027-03-02 10:40")
	if a := early.alerts("overdue"); len(a) != 1 {
		t.Errorf("overdue alerts %v", a)
	}
}
