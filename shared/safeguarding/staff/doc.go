// Package staff is a school's people and their roles (rule P1): adding a member of staff,
// changing their roles, a leaver, and the MIS's staff export. Who may give which role is
// decided here: the Senior DSL gives any role; the office gives every role but DSL, Senior DSL
// and governor. Each change keeps the person's account in the identity provider in step (an
// invitation for someone new, S4; their immutable subject recorded, S8; disabled and signed
// out everywhere when they leave their last school), puts them on or takes them off the
// school's alert roster, and is audited (P4).
package staff
