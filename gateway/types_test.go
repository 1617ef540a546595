package gateway

import "testing"

func TestIsSecretKey(t *testing.T) {
	cases := map[string]bool{
		"openai_api_key": true, "anthropic_api_key": true, "aws_secret_access_key": true,
		"aws_access_key_id": true, "aws_session_token": true, "vertex_credentials": true,
		"litellm_api_key": true, "db_password": true, "auth_token_value": true,
		"openai_api_base": false, "aws_region": false, "max_tokens": false, "model_server_url": false,
		"openai_api_version": false, "anthropic_version": false, "aws_role_arn": false,
	}
	for key, want := range cases {
		if got := IsSecretKey(key); got != want {
			t.Errorf("IsSecretKey(%q) = %v, want %v", key, got, want)
		}
	}
}
