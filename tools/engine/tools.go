//go:build tools

// Package tools pins the Pulumi CLI so that `make engine` builds it from the Go module proxy at
// the version in go.mod. The Python language host is pinned in python-host/ (see README.md).
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
