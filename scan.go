package linkwatch

import "time"

// Scan sources.
const (
	SourceQR   = "qr"   // a scan of a QR code Linkwatch rendered
	SourceLink = "link" // any other visit
)

// Device classes derived from the User-Agent.
const (
	DeviceMobile  = "mobile"
	DeviceTablet  = "tablet"
	DeviceDesktop = "desktop"
	DeviceBot     = "bot"
	DeviceOther   = "other"
)

// Scan is one recorded redirect.
type Scan struct {
	LinkID       int64
	At           time.Time
	Source       string
	ReferrerHost string
	Device       string
	Bot          bool
	Country      string // ISO 3166-1 alpha-2 from a trusted proxy header, or ""
	Fallback     bool   // the fallback URL was served
	// Count is how many identical scans this one stands for: the recorder
	// stores scans alike in every field within the same 10 seconds as one row
	// with their number. 0 is read as 1.
	Count int64
}

// Weight is the number of scans s stands for.
func (s *Scan) Weight() int64 { return max(s.Count, 1) }

// ScanQuery selects a link's scans in [From, To) grouped in buckets of Bucket.
type ScanQuery struct {
	LinkID int64
	From   time.Time
	To     time.Time
	Bucket time.Duration
}

// ScanStats summarises the scans a ScanQuery selects. Series holds only
// non-empty buckets, in time order; Referrers and Devices are sorted by count,
// largest first, Referrers limited to the top 20.
type ScanStats struct {
	Total     int64
	QR        int64
	Link      int64
	Bots      int64
	Series    []ScanBucket
	Referrers []Count
	Devices   []Count
}

// ScanBucket is the number of scans in the bucket starting at T.
type ScanBucket struct {
	T     time.Time
	Count int64
}

// Count is a number of scans for one key (a referrer host, a device class).
type Count struct {
	Key   string
	Count int64
}
