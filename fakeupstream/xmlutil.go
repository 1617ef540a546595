package fakeupstream

import (
	"bytes"
	"encoding/xml"
	"net/url"
)

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s)) // writing to a bytes.Buffer cannot fail
	return b.String()
}

// parseFormBody parses the form body the core has already read; a malformed form is empty.
func parseFormBody(body []byte) url.Values {
	v, _ := url.ParseQuery(string(body))
	return v
}
