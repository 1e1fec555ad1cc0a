package safeguarding

import (
	"testing"
	"time"
)

func TestRule_D8_LadderRemindsThenEscalatesOnceADay(t *testing.T) {
	due := london(t, "2026-11-23 17:00:00")
	s := NewDueState(due, london(t, "2026-11-23 10:00:00"))
	type step struct {
		at       string
		ok       bool
		audience Audience
		kind     string
	}
	for _, st := range []step{
		{"2026-11-23 14:59:00", false, "", ""},
		{"2026-11-23 15:00:00", true, AudienceAssignee, "reminder"},
		{"2026-11-23 16:00:00", false, "", ""},
		{"2026-11-23 17:00:00", true, AudienceAssignee, "overdue"},
		{"2026-11-24 09:00:00", false, "", ""},
		{"2026-11-24 17:00:00", true, AudienceDSL, "overdue"},
		{"2026-11-25 17:00:00", true, AudienceSeniorDSL, "overdue"},
		{"2026-11-26 09:00:00", false, "", ""},
		{"2026-11-26 17:00:00", true, AudienceSeniorDSL, "overdue"}, // the top repeats daily
	} {
		next, e, ok := s.Advance(london(t, st.at))
		if ok != st.ok || e.Audience != st.audience || e.Kind != st.kind {
			t.Fatalf("at %s: ok=%v %s %s, want ok=%v %s %s", st.at, ok, e.Audience, e.Kind, st.ok, st.audience, st.kind)
		}
		s = next
	}
	if s.Stop().Active {
		t.Error("a stopped item is still active")
	}
	if _, _, ok := s.Stop().Advance(london(t, "2026-12-25 09:00:00")); ok {
		t.Error("a done item escalated")
	}
}

func TestRule_D8_LateRunSkipsTheReminderAndKeepsADayBetweenAlerts(t *testing.T) {
	due := london(t, "2026-11-23 17:00:00")
	s := NewDueState(due, london(t, "2026-11-23 10:00:00"))
	// The engine was down until two days after the due time.
	next, e, ok := s.Advance(london(t, "2026-11-25 09:00:00"))
	if !ok || e.Kind != "overdue" || e.Audience != AudienceAssignee {
		t.Fatalf("late run: %v %+v", ok, e)
	}
	if _, _, ok := next.Advance(london(t, "2026-11-25 09:15:00")); ok {
		t.Error("a second alert 15 minutes after the first")
	}
	if _, e, ok := next.Advance(london(t, "2026-11-26 09:00:00")); !ok || e.Audience != AudienceDSL {
		t.Errorf("next day: %v %+v", ok, e)
	}
}

func TestRule_D8_NoReminderForAnItemCreatedCloseToItsDueTime(t *testing.T) {
	s := NewDueState(london(t, "2026-11-23 17:00:00"), london(t, "2026-11-23 16:00:00"))
	if _, _, ok := s.Advance(london(t, "2026-11-23 16:30:00")); ok {
		t.Error("a reminder was sent for an item due within the reminder lead")
	}
	if _, e, ok := s.Advance(london(t, "2026-11-23 17:00:00")); !ok || e.Kind != "overdue" {
		t.Errorf("overdue: %v %+v", ok, e)
	}
}

func TestRule_D8_EscalationAlertsGoToTheRightPeopleAndNeverTheSubject(t *testing.T) {
	item := DueItem{ID: "c-A1", School: school, Kind: "action", Assignee: colleague.Email, Reference: "C-1", Subject: "c"}
	now := london(t, "2026-11-24 17:00:00")
	got := EscalationAlerts(item, Escalation{Step: StepDSLs, Kind: "overdue", Audience: AudienceDSL, Channels: []Channel{ChannelEmail}}, brookLane, now)
	if len(got) != 1 || got[0].Recipient != dsl.Email || got[0].Kind != "overdue" || got[0].Audience != AudienceDSL {
		t.Fatalf("DSL step: %+v", got)
	}
	item.Exclude = []string{head.Email}
	got = EscalationAlerts(item, Escalation{Step: StepSeniorDSL, Kind: "overdue", Audience: AudienceSeniorDSL, Channels: []Channel{ChannelSMS, ChannelEmail}}, brookLane, now)
	if len(got) != 0 {
		t.Errorf("the Senior DSL a concern is about was alerted of work on it: %+v", got)
	}
	again := EscalationAlerts(DueItem{ID: "c-A1", School: school, Assignee: colleague.Email},
		Escalation{Step: StepOverdue, Kind: "overdue", Audience: AudienceAssignee, Channels: []Channel{ChannelEmail}}, brookLane, now)
	later := EscalationAlerts(DueItem{ID: "c-A1", School: school, Assignee: colleague.Email},
		Escalation{Step: StepOverdue, Kind: "overdue", Audience: AudienceAssignee, Channels: []Channel{ChannelEmail}}, brookLane, now.Add(time.Hour))
	if again[0].ID != later[0].ID {
		t.Error("the same step on the same day has two alert ids: a rerun could send it twice")
	}
}
