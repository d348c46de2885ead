package main_test

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestDouyinHalfConfiguredRefusesToStart: a Douyin app key without its
// secret or token used to start, say ready on /readyz and answer every push
// 503. Each role that serves the webhook now exits non-zero at once, with
// one line naming what is missing and what to set.
func TestDouyinHalfConfiguredRefusesToStart(t *testing.T) {
	tests := []struct {
		name    string
		role    string
		env     []string
		missing []string
	}{
		{"serve with the key alone", "serve", nil, []string{"app_secret is empty", "access_token is empty"}},
		{"serve without the token", "serve", []string{"LOQUAT_DOUYIN_APP_SECRET=s"}, []string{"access_token is empty"}},
		{"serve without the secret", "serve", []string{"LOQUAT_DOUYIN_ACCESS_TOKEN=t"}, []string{"app_secret is empty"}},
		{"ingest with the key alone", "ingest", nil, []string{"app_secret is empty", "access_token is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, tt.role, "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0",
				"--douyin-app-key", "6839207136574162434")
			// Empty is unset to loquat: the test's own environment does not leak in.
			cmd.Env = append(cmd.Environ(), append([]string{"LOQUAT_DOUYIN_APP_SECRET=", "LOQUAT_DOUYIN_ACCESS_TOKEN=",
				"LOQUAT_EVENTLOG=", "LOQUAT_STORE="}, tt.env...)...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("loquat %s with a half-configured Douyin was still running after 20s:\n%s%s", tt.role, &stdout, &stderr)
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() == 0 {
				t.Fatalf("loquat %s with a half-configured Douyin: want a non-zero exit, got %v\nstdout:\n%s\nstderr:\n%s", tt.role, err, &stdout, &stderr)
			}
			out := strings.TrimSpace(stderr.String())
			if strings.Contains(out, "\n") || strings.Contains(out, "panic") || strings.Contains(out, "goroutine") {
				t.Errorf("want one line on stderr, no panic; got:\n%s", out)
			}
			for _, s := range append([]string{"loquat: douyin ingest is misconfigured", "LOQUAT_DOUYIN_APP_SECRET", "LOQUAT_DOUYIN_ACCESS_TOKEN"}, tt.missing...) {
				if !strings.Contains(out, s) {
					t.Errorf("stderr %q does not name %q", out, s)
				}
			}
			if strings.Contains(stdout.String(), "serving") {
				t.Errorf("it said it was serving:\n%s", &stdout)
			}
		})
	}
}
