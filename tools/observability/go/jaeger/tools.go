//go:build tools

// Package tools records the command this module builds (Jaeger v2's all-in-one `jaeger`) so
// that `go mod tidy` keeps its dependencies.
package tools

import (
	_ "github.com/jaegertracing/jaeger/cmd/jaeger"
)
