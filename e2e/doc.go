// Package e2e holds end-to-end tests that start the real llmgate binary and drive it over
// HTTP and through its CLI, as an operator would.
package e2e
