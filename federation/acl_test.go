package federation

import "testing"

func TestACLAllows(t *testing.T) {
	for _, tc := range []struct {
		name, acl, server string
		want              bool
	}{
		{"allow all", `{"allow":["*"]}`, "evil.example", true},
		{"empty allow denies everyone", `{"deny":[]}`, "good.example", false},
		{"deny wins over allow", `{"allow":["*"],"deny":["evil.example"]}`, "evil.example", false},
		{"port ignored", `{"allow":["*"],"deny":["evil.example"]}`, "evil.example:8448", false},
		{"glob star", `{"allow":["*"],"deny":["*.evil.example"]}`, "a.b.evil.example", false},
		{"glob star matches none", `{"allow":["*.example"]}`, ".example", true},
		{"glob question", `{"allow":["ser?er.example"]}`, "server.example", true},
		{"glob question needs one", `{"allow":["ser?er.example"]}`, "serer.example", false},
		{"case-insensitive", `{"allow":["*"],"deny":["EVIL.example"]}`, "evil.EXAMPLE", false},
		{"ip literal allowed by default", `{"allow":["*"]}`, "1.2.3.4", true},
		{"ip literal denied", `{"allow":["*"],"allow_ip_literals":false}`, "1.2.3.4:8448", false},
		{"ipv6 literal denied", `{"allow":["*"],"allow_ip_literals":false}`, "[::1]", false},
		{"hostname with ip literals off", `{"allow":["*"],"allow_ip_literals":false}`, "good.example", true},
		{"non-string entries ignored", `{"allow":[1,"good.example"],"deny":[null]}`, "good.example", true},
		{"not an object", `[]`, "any.example", true},
		{"question mark is one character", `{"allow":["?.example"]}`, "é.example", true},
		{"star backtracks", `{"allow":["*a*b*c"]}`, "xaxbxbxc", true},
		{"star backtracks and fails", `{"allow":["*a*b*c"]}`, "xaxbxbx", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ACLAllows([]byte(tc.acl), tc.server); got != tc.want {
				t.Errorf("ACLAllows(%s, %s) = %v, want %v", tc.acl, tc.server, got, tc.want)
			}
		})
	}
}
