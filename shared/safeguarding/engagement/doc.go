// Package engagement is the use cases of families who go quiet (rules E1-E6): a class marked a
// family at a time by its teacher or a DSL (E1, classes.go); acknowledgements, the DSLs'
// families view and list of missing families, the Senior DSL's decision (E4) and the LA
// notification (E5), and each school's calendar (service.go, familyview.go); contact attempts
// and answered calls logged against a family (H2, H3, contactlog.go); and the daily job that
// looks at the families due a look, one school at a time (E2-E5, escalation.go). The family
// itself, its states and the rules that move it (acknowledged, MISSING, restored) are
// contact's Family. Every read and change is audited (P4).
package engagement
