// Package contacttest puts a family or a family's contact details into the state a test
// starts from, as a store would have saved them: the tests of the store and of the functions
// above contact write and read states that no single change of the domain makes. Only tests
// import it; the tests of contact itself reach the fields directly.
package contacttest

import "github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"

// Family is f with change applied to its fields.
func Family(f contact.Family, change func(*contact.FamilySnapshot)) contact.Family {
	s := f.Snapshot()
	change(&s)
	return contact.RestoreFamily(s)
}

// Details is c with change applied to its fields.
func Details(c contact.ContactDetails, change func(*contact.ContactDetailsSnapshot)) contact.ContactDetails {
	s := c.Snapshot()
	change(&s)
	return contact.RestoreContactDetails(s)
}
