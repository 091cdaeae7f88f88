package api

import (
	"net/http"

	"github.com/linkwatch/linkwatch"
)

// routes lists every endpoint of this package with the scope it requires.
func (a *API) routes() []Route {
	read, admin, probe := linkwatch.ScopeRead, linkwatch.ScopeAdmin, linkwatch.ScopeProber
	return []Route{
		{http.MethodPost, "/links", admin, a.createLink()},
		{http.MethodGet, "/links", read, a.listLinks()},
		{http.MethodGet, "/links/{slug}", read, a.getLink()},
		{http.MethodPatch, "/links/{slug}", admin, a.updateLink()},
		{http.MethodDelete, "/links/{slug}", admin, a.deleteLink()},
		{http.MethodGet, "/links/{slug}/scans", read, a.scanStats()},
		{http.MethodGet, "/links/{slug}/qr.png", read, a.qrImage("png")},
		{http.MethodGet, "/links/{slug}/qr.svg", read, a.qrImage("svg")},
		{http.MethodGet, "/links/{slug}/health", read, a.linkHealth()},
		{http.MethodDelete, "/links/{slug}/health", admin, a.clearLinkHealth()},
		{http.MethodPost, "/links/{slug}/check", admin, a.checkLinkNow()},
		{http.MethodPost, "/links/{slug}/failover", admin, a.setFailover()},

		{http.MethodPost, "/monitors", admin, a.createMonitor()},
		{http.MethodGet, "/monitors", read, a.listMonitors()},
		{http.MethodGet, "/monitors/{id}", read, a.getMonitor()},
		{http.MethodPatch, "/monitors/{id}", admin, a.updateMonitor()},
		{http.MethodDelete, "/monitors/{id}", admin, a.deleteMonitor()},
		{http.MethodGet, "/monitors/{id}/health", read, a.monitorHealth()},
		{http.MethodDelete, "/monitors/{id}/health", admin, a.clearMonitorHealth()},

		{http.MethodPost, "/probe/heartbeat", probe, a.heartbeat()},
		{http.MethodGet, "/probe/assignments", probe, a.assignments()},
		{http.MethodGet, "/probe/stream", probe, a.stream()},
		{http.MethodPost, "/probe/results", probe, a.pushResults()},
		{http.MethodPost, "/probe/deregister", probe, a.deregister()},
		{http.MethodGet, "/probers", read, a.listProbers()},
		{http.MethodDelete, "/probers/*", admin, a.retireProber()}, // the ID holds '/'
		{http.MethodGet, "/alerts", read, a.listAlerts()},
		{http.MethodGet, "/alerts/history", read, a.alertHistory()},
		{http.MethodGet, "/alert-rules", read, a.listAlertRules()},
		{http.MethodPost, "/alert-rules", admin, a.createAlertRule()},
		{http.MethodGet, "/alert-rules/{name}", read, a.getAlertRule()},
		{http.MethodPut, "/alert-rules/{name}", admin, a.replaceAlertRule()},
		{http.MethodDelete, "/alert-rules/{name}", admin, a.deleteAlertRule()},
		{http.MethodGet, "/channels", read, a.listChannels()},
		{http.MethodPost, "/channels/{name}/test", admin, a.testChannel()},
		{http.MethodPost, "/silences", admin, a.createSilence()},
		{http.MethodGet, "/silences", read, a.listSilences()},
		{http.MethodDelete, "/silences/{id}", admin, a.expireSilence()},
		{http.MethodPost, "/maintenances", admin, a.createMaintenance()},
		{http.MethodGet, "/maintenances", read, a.listMaintenances()},
		{http.MethodDelete, "/maintenances/{id}", admin, a.deleteMaintenance()},

		{http.MethodGet, "/status/components", read, a.listComponents()},
		{http.MethodPost, "/status/components", admin, a.saveComponent(true)},
		{http.MethodPut, "/status/components/{id}", admin, a.saveComponent(false)},
		{http.MethodDelete, "/status/components/{id}", admin, a.deleteComponent()},
		{http.MethodGet, "/status/components/{id}/months", read, a.componentMonths()},
		{http.MethodGet, "/incidents", read, a.listIncidents()},
		{http.MethodPost, "/incidents", admin, a.createIncident()},
		{http.MethodGet, "/incidents/{id}", read, a.getIncident()},
		{http.MethodPatch, "/incidents/{id}", admin, a.patchIncident()},
		{http.MethodPost, "/incidents/{id}/updates", admin, a.addIncidentUpdate()},
		{http.MethodDelete, "/incidents/{id}", admin, a.deleteIncident()},

		{http.MethodPost, "/tokens", admin, a.createToken()},
		{http.MethodGet, "/tokens", admin, a.listTokens()},
		{http.MethodDelete, "/tokens/{id}", admin, a.deleteToken()},
	}
}
