//go:build tools

// Package tools records the commands this module builds so that `go mod tidy`
// keeps their dependencies.
package tools

import (
	// The control plane.
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	// The real node (npm run cluster -- up --real-node).
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kubelet"
	// Kubernetes' own end-to-end test image (HTTP, DNS and network checks) for node tests.
	_ "k8s.io/kubernetes/test/images/agnhost"
)
