// Package imports is a school's pupils, classes and families arriving from its management
// information system (rule P1). For now it holds the decoding of the MIS's pupil export, a CSV
// file (decode.go, header.go): its header read whatever the MIS calls each column, each row
// checked into a Row (a pupil, their class, attendance (C9), date of birth (S7), numbered
// contacts and address (P3)) or reported as RowErrors by line and field, every number read by
// the kernel's one phone parser, the file bounded in rows, fields and contacts. Planning an
// import from those rows (what it creates, changes and ends) follows here. A DfE Common
// Transfer File is XML: LooksLikeXML tells it apart so that it is answered elsewhere.
//
// Standard library only, and no I/O: the caller hands over the file's bytes.
package imports
