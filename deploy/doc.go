// Package deploy holds Linkwatch's container image, Kubernetes manifests
// (a kustomize base with single-region and multi-region overlays), its
// PrometheusRule and Grafana dashboard. It is a Go module of its own so the
// heavy Kubernetes, kustomize and Prometheus modules its tests use stay out
// of the main module; the tests render both overlays, decode every object
// strictly and check each promise the manifests make, and check that every
// metric the rule and the dashboard query exists in the binary.
package deploy
