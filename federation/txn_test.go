package federation

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseTransaction(t *testing.T) {
	many := func(n int, item string) string {
		return "[" + strings.TrimSuffix(strings.Repeat(item+",", n), ",") + "]"
	}
	for _, tc := range []struct {
		name, body string
		err        error
		pdus, edus int
	}{
		{"empty", `{"origin":"a.test","origin_server_ts":1,"pdus":[]}`, nil, 0, 0},
		{"pdus and edus", `{"origin":"a.test","origin_server_ts":1,"pdus":[{"type":"m"}],"edus":[{"edu_type":"m.typing","content":{}}]}`, nil, 1, 1},
		{"50 PDUs", `{"origin":"a.test","origin_server_ts":1,"pdus":` + many(50, `{}`) + `}`, nil, 50, 0},
		{"51 PDUs", `{"origin":"a.test","origin_server_ts":1,"pdus":` + many(51, `{}`) + `}`, ErrTransactionTooLarge, 0, 0},
		{"101 EDUs", `{"origin":"a.test","origin_server_ts":1,"pdus":[],"edus":` + many(101, `{"edu_type":"x"}`) + `}`, ErrTransactionTooLarge, 0, 0},
		{"no origin", `{"origin_server_ts":1,"pdus":[]}`, ErrBadTransaction, 0, 0},
		{"no pdus", `{"origin":"a.test","origin_server_ts":1}`, ErrBadTransaction, 0, 0},
		{"pdu not an object", `{"origin":"a.test","pdus":[1]}`, ErrBadTransaction, 0, 0},
		{"edu without type", `{"origin":"a.test","pdus":[],"edus":[{"content":{}}]}`, ErrBadTransaction, 0, 0},
		{"not an object", `[]`, ErrBadTransaction, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			txn, err := ParseTransaction([]byte(tc.body))
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if err == nil && (len(txn.PDUs) != tc.pdus || len(txn.EDUs) != tc.edus) {
				t.Fatalf("%d PDUs %d EDUs", len(txn.PDUs), len(txn.EDUs))
			}
		})
	}
}

// EncodeTransaction's output parses back to what went in.
func TestEncodeTransactionRoundTrip(t *testing.T) {
	pdus := []json.RawMessage{json.RawMessage(`{"type":"m.room.message","content":{"body":"é\u2028"}}`), json.RawMessage(`{}`)}
	edus := []EDU{{Type: "m.typing", Content: json.RawMessage(`{"room_id":"!r:a","typing":true}`)}, {Type: "m.presence"}}
	body := EncodeTransaction(`a.test"`, 42, pdus, edus)
	txn, err := ParseTransaction(body)
	if err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if txn.Origin != `a.test"` || txn.OriginServerTS != 42 || len(txn.PDUs) != 2 || string(txn.PDUs[0]) != string(pdus[0]) {
		t.Fatalf("round trip: %+v", txn)
	}
	if len(txn.EDUs) != 2 || string(txn.EDUs[0].Content) != string(edus[0].Content) || string(txn.EDUs[1].Content) != `{}` {
		t.Fatalf("EDUs: %+v", txn.EDUs)
	}
	if empty := EncodeTransaction("a.test", 1, nil, nil); !json.Valid(empty) || !strings.Contains(string(empty), `"pdus":[]`) {
		t.Fatalf("empty transaction %s", empty)
	}
}

func FuzzParseTransaction(f *testing.F) {
	f.Add([]byte(`{"origin":"a.test","origin_server_ts":1,"pdus":[{"room_id":"!r:a"}],"edus":[{"edu_type":"m.typing","content":{}}]}`))
	f.Add([]byte(`{"origin":"a.test","pdus":[]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		txn, err := ParseTransaction(body)
		if err != nil {
			return
		}
		if len(txn.PDUs) > MaxTransactionPDUs || len(txn.EDUs) > MaxTransactionEDUs || txn.Origin == "" {
			t.Fatalf("accepted %s", body)
		}
		again, err := ParseTransaction(EncodeTransaction(txn.Origin, txn.OriginServerTS, txn.PDUs, txn.EDUs))
		if err != nil || len(again.PDUs) != len(txn.PDUs) || len(again.EDUs) != len(txn.EDUs) {
			t.Fatalf("re-encoding %s: %v", body, err)
		}
	})
}
