package version

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// specDir locates the Matrix spec source (github.com/matrix-org/matrix-spec).
// AXON_MATRIX_SPEC overrides the default, which is the checkout shared by the
// Axon developers next to the repository.
func specDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("AXON_MATRIX_SPEC")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "matrix-spec")
	}
	if _, err := os.Stat(filepath.Join(dir, "content", "rooms", "v1.md")); err != nil {
		t.Skipf("matrix spec source not found at %s (set AXON_MATRIX_SPEC): %v", dir, err)
	}
	return dir
}

var (
	fragmentRE   = regexp.MustCompile(`\{\{% rver-fragment name="([^"]+)" %\}\}`)
	definitionRE = regexp.MustCompile(`\{\{% definition path="api/server-server/definitions/(pdu_v\d+)" %\}\}`)
	spaceRE      = regexp.MustCompile(`\s+`)
)

// roomPage is one content/rooms/vN.md page, raw and with its fragments
// expanded, split into its "### " sections (a heading may repeat).
type roomPage struct {
	raw, expanded map[string]string // heading -> all sections with that heading, joined
	all           string            // whole expanded page, whitespace collapsed
}

func readRoomPage(t *testing.T, dir string, id ID) roomPage {
	t.Helper()
	rooms := filepath.Join(dir, "content", "rooms")
	b, err := os.ReadFile(filepath.Join(rooms, "v"+string(id)+".md"))
	if err != nil {
		t.Fatal(err)
	}
	raw := string(b)
	expanded := fragmentRE.ReplaceAllStringFunc(raw, func(m string) string {
		name := fragmentRE.FindStringSubmatch(m)[1]
		f, err := os.ReadFile(filepath.Join(rooms, "fragments", name+".md"))
		if err != nil {
			t.Fatalf("fragment %s: %v", name, err)
		}
		return m + "\n" + string(f)
	})
	return roomPage{raw: sections(raw), expanded: sections(expanded), all: spaceRE.ReplaceAllString(expanded, " ")}
}

func sections(page string) map[string]string {
	out := map[string]string{}
	heading := ""
	for _, line := range strings.Split(page, "\n") {
		if strings.HasPrefix(line, "## ") || strings.HasPrefix(line, "### ") {
			heading = strings.TrimSpace(strings.TrimLeft(line, "#"))
			continue
		}
		out[heading] += line + "\n"
	}
	for k, v := range out {
		out[k] = spaceRE.ReplaceAllString(v, " ")
	}
	return out
}

// featureMatrix reads the feature table of content/rooms/_index.md.
func featureMatrix(t *testing.T, dir string) map[string][]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "content", "rooms", "_index.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "| **") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), "|")
		name := strings.Trim(strings.TrimSpace(cells[0]), "*`")
		for _, c := range cells[1:] {
			out[name] = append(out[name], strings.TrimSpace(c) == "✔")
		}
	}
	return out
}

// specFromText derives every switch of a version from the spec's own words.
func specFromText(t *testing.T, dir string, id ID, n int, features map[string][]bool) Spec {
	t.Helper()
	p := readRoomPage(t, dir, id)
	s := Spec{ID: id}
	s.Stable = strings.Contains(readIndex(t, dir), fmt.Sprintf("[Version %d](/rooms/v%d) - **Stable**", n, n))

	pdu := definitionRE.FindStringSubmatch(p.all)
	if pdu == nil {
		t.Fatalf("v%s: no PDU definition found", id)
	}
	switch pdu[1] {
	case "pdu_v1":
		s.Format = FormatV1
	case "pdu_v12":
		s.Format = FormatV3
	default:
		s.Format = FormatV2
	}
	def, err := os.ReadFile(filepath.Join(dir, "data", "api", "server-server", "definitions", pdu[1]+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s.RedactsInContent = !strings.Contains(string(def), "redacts:")

	ids := p.expanded["Event IDs"]
	switch {
	case strings.Contains(ids, "$opaque_id:domain"):
		s.EventIDs = EventIDServerOpaque
	case strings.Contains(ids, "URL-safe unpadded Base64"):
		s.EventIDs = EventIDURLSafeBase64
	case strings.Contains(ids, "Unpadded Base64"):
		s.EventIDs = EventIDBase64
	}

	red := p.expanded["Redactions"]
	switch {
	case strings.Contains(red, "allows all keys"):
		s.Redaction = RedactionV11
	case strings.Contains(red, "join_authorised_via_users_server"):
		s.Redaction = RedactionV9
	case strings.Contains(red, "`join_rule`, `allow`"):
		s.Redaction = RedactionV8
	case strings.Contains(red, "allows key `aliases`"):
		s.Redaction = RedactionV1
	default:
		s.Redaction = RedactionV6
	}

	switch m := fragmentRE.FindStringSubmatch(p.raw["Authorisation rules"]); {
	case m == nil:
		s.Auth = AuthRules(n) // written out inline on this version's page
	case m[1] == "v1-auth-rules":
		s.Auth = AuthV1
	case m[1] == "v3-auth-rules":
		s.Auth = AuthV3
	case m[1] == "v8-auth-rules":
		s.Auth = AuthV8
	default:
		t.Fatalf("v%s: unknown auth fragment %s", id, m[1])
	}
	auth := p.expanded["Authorisation rules"]
	s.SpecialCaseAliases = strings.Contains(auth, "If type is `m.room.aliases`")
	s.CreatorInContent = strings.Contains(auth, "If `content` has no `creator` property, reject.")

	switch sr := p.raw["State resolution"]; {
	case strings.Contains(sr, `name="v2-state-res"`):
		s.StateRes = StateResV2
	case strings.Contains(sr, "conflicted state subgraph"):
		s.StateRes = StateResV21
	case strings.Contains(sr, "sha1(event_id)"):
		s.StateRes = StateResV1
	}

	s.StrictCanonicalJSON = strings.Contains(p.all, "Servers MUST strictly enforce the JSON format")
	s.EnforceKeyValidity = strings.Contains(p.all, "servers MUST enforce the `valid_until_ts`")
	s.IntegerPowerLevels = !strings.Contains(p.all, "events accept values as strings")
	s.FloatPowerLevels = strings.Contains(p.all, "events accept values as floats")
	s.RoomIDFromCreateEvent = strings.Contains(p.all, "are instead a hash of the `m.room.create` event")

	s.Knock = features["Knocking"][n-1]
	s.Restricted = features["Restricted join rules"][n-1]
	s.KnockRestricted = features["knock_restricted` join rule"][n-1]
	s.PrivilegedCreators = features["Additional room creators"][n-1]
	return s
}

var indexText string

func readIndex(t *testing.T, dir string) string {
	if indexText == "" {
		b, err := os.ReadFile(filepath.Join(dir, "content", "rooms", "_index.md"))
		if err != nil {
			t.Fatal(err)
		}
		indexText = string(b)
	}
	return indexText
}

// TestRegistryMatchesSpecText reads content/rooms/v1.md … v12.md (fragments
// expanded), derives each switch from the spec's wording, and compares it with
// the registry, so a registry typo or a spec change both fail here.
func TestRegistryMatchesSpecText(t *testing.T) {
	dir := specDir(t)
	features := featureMatrix(t, dir)
	for n, want := range All() {
		t.Run(string(want.ID), func(t *testing.T) {
			got := specFromText(t, dir, want.ID, n+1, features)
			if got != want {
				t.Errorf("spec text says\n %+v\nregistry has\n %+v", got, want)
			}
		})
	}
}
