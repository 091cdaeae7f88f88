package linkwatch

import "time"

// LinkSearch selects a page of links for people browsing them (the
// dashboard): newest first, those whose slug or destination holds Query
// (case-insensitive; stored slugs and destinations are ASCII) and that carry
// Tag. Offset links are skipped; Limit 0 means no limit.
type LinkSearch struct {
	Query  string
	Tag    string
	Offset int
	Limit  int
}

// SourceScans is the scans by people (bots left out) in the bucket starting
// at T, by source: QR codes and every other visit.
type SourceScans struct {
	T    time.Time
	QR   int64
	Link int64
}

// Total is every scan of the bucket.
func (s SourceScans) Total() int64 { return s.QR + s.Link }
