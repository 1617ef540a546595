package gateway

// DefaultTimeoutSeconds is an endpoint's upstream timeout when it sets none (TimeoutSeconds
// 0); it matches MLflow's MLFLOW_GATEWAY_ROUTE_TIMEOUT_SECONDS default.
const DefaultTimeoutSeconds = 300

// EffectiveTimeoutSeconds is the timeout an endpoint's calls get.
func (e *Endpoint) EffectiveTimeoutSeconds() int {
	if e.TimeoutSeconds <= 0 {
		return DefaultTimeoutSeconds
	}
	return e.TimeoutSeconds
}
