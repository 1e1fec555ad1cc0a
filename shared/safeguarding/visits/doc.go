// Package visits is home visits (rules V1-V7, and V8's alerts): a DSL plans a visit to a
// family with two to four staff and a line manager who is someone else (V2); the Senior DSL
// authorises it before it can start (V1); calls ahead, and a family that declines blocked from
// further visits until a DSL lifts it (V3); the doorstep, each child seen or not (V4) and an
// immediate concern raised as a high-priority concern (V5); observations due within 24 hours
// (V6) and the next visit (V7) on the deadline ladder; check-out, and the alerts when it is
// missing (V8; the alarm's ladder, LoneWorkerAdvance, is the kernel's). Who sees a visit and its
// family's address (P3) is decided in access.go and the use cases of service.go, each view
// audited (P4); every step is in each child's chronology (H2).
package visits
