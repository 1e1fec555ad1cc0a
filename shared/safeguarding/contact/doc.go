// Package contact is families and how the school reaches them. It owns the Family (family.go):
// its children, acknowledgements and the states that rules E1-E6 move it through, with the
// look of the daily job that marks a silent family MISSING and what follows (E2-E5,
// missing.go). Families' phone numbers and addresses (details.go) are kept apart from every
// other record and shown only to the DSLs, the Senior DSL and staff designated for closure
// contact (P3, designation.go), changed as versions with reasons (P4; patch.go for the
// office's changes, edit.go for the form that starts one), with the report of families short
// of up-to-date numbers (H1). The contact log (log.go) records every call, unanswered attempt,
// message and refusal, an answered call's full record and the actions agreed on it, due on the
// ladder of rule D8 (H2, H3). Who may do what is decided in access.go and the kernel's
// access.go; every view and change is audited (P4).
package contact
