//go:build tools

// Package tools records the command this module builds (promtool, which checks and unit-tests
// the PrometheusRule alerts in deploy/) so that `go mod tidy` keeps its dependencies.
package tools

import (
	_ "github.com/prometheus/prometheus/cmd/promtool"
)
