package safeguarding

// Category is one of the policy's six categories (rule C2), in kebab-case.
type Category string

const (
	CategorySafeguarding  Category = "safeguarding"
	CategoryBehaviour     Category = "behaviour"
	CategoryWellbeing     Category = "wellbeing"
	CategoryAttendance    Category = "attendance"
	CategoryCommunication Category = "communication-with-parents"
	CategoryOutsideAgency Category = "outside-agency"
)
