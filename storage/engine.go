package storage

import (
	"context"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/statuspage"
)

// Engine is everything a storage engine provides. Only the binary's wiring
// and the conformance suite use it; every consumer declares the few methods
// it needs itself.
type Engine interface {
	CreateLink(ctx context.Context, l *linkwatch.Link) error
	LinkBySlug(ctx context.Context, domain, slug string) (*linkwatch.Link, error)
	ListLinks(ctx context.Context, f linkwatch.LinkFilter) ([]*linkwatch.Link, error)
	UpdateLink(ctx context.Context, domain, slug string, fn func(*linkwatch.Link) error) (*linkwatch.Link, error)
	DeleteLink(ctx context.Context, domain, slug string) error
	WatchLinks(ctx context.Context, fn func(linkwatch.LinkChange)) error
	// Signal sends a probe signal to every replica's WatchSignals (this
	// one's included); WatchSignals hears them, SignalReset first.
	Signal(ctx context.Context, s linkwatch.ProbeSignal) error
	WatchSignals(ctx context.Context, fn func(linkwatch.ProbeSignal, error)) error

	InsertScans(ctx context.Context, scans []linkwatch.Scan) error
	ScanStats(ctx context.Context, q linkwatch.ScanQuery) (*linkwatch.ScanStats, error)

	CreateToken(ctx context.Context, t *linkwatch.Token) error
	TokenByID(ctx context.Context, id string) (*linkwatch.Token, error)
	ListTokens(ctx context.Context) ([]*linkwatch.Token, error)
	DeleteToken(ctx context.Context, id string) error

	// Dashboard sessions, by the SHA-256 of their ID.
	CreateSession(ctx context.Context, s *linkwatch.Session) error
	SessionByHash(ctx context.Context, hash []byte) (*linkwatch.Session, error)
	DeleteSession(ctx context.Context, hash []byte) error
	PruneSessions(ctx context.Context, before time.Time) (int64, error)
	// DashboardKey returns the dashboard's signing key stored under name,
	// storing fresh first when there is none: every replica gets the first.
	DashboardKey(ctx context.Context, name string, fresh []byte) ([]byte, error)

	CreateMonitor(ctx context.Context, m *linkwatch.Monitor) error
	MonitorByID(ctx context.Context, id int64) (*linkwatch.Monitor, error)
	ListMonitors(ctx context.Context) ([]*linkwatch.Monitor, error)
	UpdateMonitor(ctx context.Context, id int64, fn func(*linkwatch.Monitor) error) (*linkwatch.Monitor, error)
	DeleteMonitor(ctx context.Context, id int64) error

	InsertResults(ctx context.Context, results []linkwatch.Result) error
	// ExistingTargets reports which of targets (links and monitors) exist.
	ExistingTargets(ctx context.Context, targets []linkwatch.Target) (map[linkwatch.Target]bool, error)
	LatestResults(ctx context.Context, t linkwatch.Target) ([]linkwatch.Latest, error)
	// ClearLatest forgets a target's latest result from one region.
	ClearLatest(ctx context.Context, t linkwatch.Target, region string) error
	LatestAll(ctx context.Context) ([]linkwatch.Latest, error)
	// Batch reads for pages that show many links at once: SearchLinks
	// returns a page of links and how many match; LatestFor, RollupsFor and
	// ScanSeries read a whole page's figures in one go (ScanSeries leaves
	// bots out).
	SearchLinks(ctx context.Context, q linkwatch.LinkSearch) ([]*linkwatch.Link, int, error)
	LatestFor(ctx context.Context, targets []linkwatch.Target) ([]linkwatch.Latest, error)
	RollupsFor(ctx context.Context, targets []linkwatch.Target, resolution time.Duration, from, to time.Time) ([]linkwatch.Rollup, error)
	ScanSeries(ctx context.Context, linkIDs []int64, from, to time.Time, bucket time.Duration) (map[int64][]linkwatch.SourceScans, error)
	Results(ctx context.Context, t linkwatch.Target, from, to time.Time, limit int) ([]linkwatch.Result, error)
	Rollups(ctx context.Context, t linkwatch.Target, resolution time.Duration, from, to time.Time) ([]linkwatch.Rollup, error)
	PruneResults(ctx context.Context, before time.Time) (int64, error)
	PruneRollups(ctx context.Context, resolution time.Duration, before time.Time) (int64, error)

	Heartbeat(ctx context.Context, p linkwatch.ProberInfo) error
	Probers(ctx context.Context) ([]linkwatch.ProberInfo, error)
	StopProber(ctx context.Context, id, region string, at time.Time) error
	RetireProber(ctx context.Context, id string, at time.Time) error

	// Alert states, the notification outbox and leases.
	alerting.Store
	// Enqueue adds notifications to the outbox outside an alert's state
	// change (status page subscribers).
	Enqueue(ctx context.Context, out []alerting.Outgoing) error

	// Silences are kept after they end, for history; ExpireSilence ends one
	// early.
	CreateSilence(ctx context.Context, s *alerting.Silence) error
	ListSilences(ctx context.Context) ([]alerting.Silence, error)
	ExpireSilence(ctx context.Context, id string, at time.Time) error

	CreateMaintenance(ctx context.Context, m *alerting.Maintenance) error
	ListMaintenances(ctx context.Context) ([]alerting.Maintenance, error)
	DeleteMaintenance(ctx context.Context, id string) error

	// Alert rules and history. Rules declared through the API are kept by
	// name: CreateAlertRule refuses a taken name (ECONFLICT); Replace and
	// Delete an absent one (ENOTFOUND); Replace keeps CreatedAt. The history
	// is written by SaveAlerts, one event per change of an alert's phase, in
	// the same transaction; AlertHistory reads it newest first. ScanCounts
	// sums the scans of links in [from, to) per UTC minute, non-empty
	// minutes only, in time order.
	CreateAlertRule(ctx context.Context, r *alerting.StoredRule) error
	AlertRules(ctx context.Context) ([]alerting.StoredRule, error)
	ReplaceAlertRule(ctx context.Context, r *alerting.StoredRule) error
	DeleteAlertRule(ctx context.Context, name string) error
	AlertHistory(ctx context.Context, f alerting.HistoryFilter) ([]alerting.AlertEvent, error)
	PruneAlertEvents(ctx context.Context, before time.Time) (int64, error)
	ScanCounts(ctx context.Context, linkIDs []int64, from, to time.Time) ([]linkwatch.ScanBucket, error)

	// The status page's components, incidents and maintenances,
	// subscribers and closed months.
	statuspage.Store

	Migrate(ctx context.Context) error
	Ping(ctx context.Context) error
	PoolStats() PoolStats
	Close()
}
