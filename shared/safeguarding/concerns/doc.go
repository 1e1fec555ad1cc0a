// Package concerns is recording a concern about one or more pupils and what follows from it
// for the concern itself: the record with its facts apart from the pupil's own words (C1), in
// the school's categories and sub-categories (C2; category.go, and catalogue.go for a DSL
// changing them), its recording deadline and lateness (C3), its alerts to the DSLs, the Senior
// DSL, the governor and tagged staff without personal data (C4, C5, S2, S6; alerts.go), its body
// map (bodymap.go) and attachments (C6, attachment.go), its chronology entries, corrections as
// revisions with a reason (P4, amendment.go), who sees it (P2, access.go), the reporter's status
// and "ask what happened" (D7, progress.go), the concern's page (page.go) and the dashboard.
// A case is a concern: closing, reopening and marking it complex are the Concern's methods
// (D9, casestatus.go); the actions are case work's (casework). Every read and write is audited
// (P4). The use cases and their store port are in service.go.
package concerns
