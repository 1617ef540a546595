// Package gateway holds llmgate's domain: endpoints, users, organizations, API keys,
// permissions, audit events, the error type every surface maps to its own envelope, and the
// small interfaces (Store, SecretStore, Limiter) that the I/O packages implement.
//
// It performs no I/O. Everything here is either a plain type or a pure function, so it can be
// table-tested and used from any layer without dragging a dependency along.
package gateway
