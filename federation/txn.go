package federation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Transaction limits (server-server-api "Transactions": "they can have at
// most 50 PDUs and 100 EDUs").
const (
	MaxTransactionPDUs = 50
	MaxTransactionEDUs = 100
)

var (
	// ErrBadTransaction reports a transaction body that is not the JSON
	// object of definitions/transaction.yaml.
	ErrBadTransaction = errors.New("federation: malformed transaction")
	// ErrTransactionTooLarge reports more than 50 PDUs or 100 EDUs.
	ErrTransactionTooLarge = errors.New("federation: transaction exceeds 50 PDUs or 100 EDUs")
)

// EDU is one ephemeral data unit (definitions/edu.yaml).
type EDU struct {
	Type    string          `json:"edu_type"`
	Content json.RawMessage `json:"content"`
}

// Transaction is a decoded PUT /_matrix/federation/v1/send body. PDUs stay
// raw: each is parsed against its room's version by the receiver.
type Transaction struct {
	Origin         string            `json:"origin"`
	OriginServerTS int64             `json:"origin_server_ts"`
	PDUs           []json.RawMessage `json:"pdus"`
	EDUs           []EDU             `json:"edus,omitempty"`
}

// ParseTransaction decodes a transaction body and enforces the limits.
func ParseTransaction(body []byte) (*Transaction, error) {
	var t Transaction
	if err := json.Unmarshal(body, &t); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadTransaction, err)
	}
	if t.Origin == "" {
		return nil, fmt.Errorf("%w: origin is missing", ErrBadTransaction)
	}
	if t.PDUs == nil && !bytes.Contains(body, []byte(`"pdus"`)) {
		return nil, fmt.Errorf("%w: pdus is missing", ErrBadTransaction)
	}
	if len(t.PDUs) > MaxTransactionPDUs || len(t.EDUs) > MaxTransactionEDUs {
		return nil, fmt.Errorf("%w: %d PDUs, %d EDUs", ErrTransactionTooLarge, len(t.PDUs), len(t.EDUs))
	}
	for i, p := range t.PDUs {
		if len(p) == 0 || p[0] != '{' {
			return nil, fmt.Errorf("%w: pdus[%d] is not an object", ErrBadTransaction, i)
		}
	}
	for i, e := range t.EDUs {
		if e.Type == "" {
			return nil, fmt.Errorf("%w: edus[%d] has no edu_type", ErrBadTransaction, i)
		}
	}
	return &t, nil
}

// EncodeTransaction writes a transaction body around already-encoded PDUs,
// so that one event's bytes serve every destination without encoding it
// again.
func EncodeTransaction(origin string, ts int64, pdus []json.RawMessage, edus []EDU) []byte {
	n := 64 + len(origin)
	for _, p := range pdus {
		n += len(p) + 1
	}
	for _, e := range edus {
		n += len(e.Type) + len(e.Content) + 32
	}
	buf := bytes.NewBuffer(make([]byte, 0, n))
	buf.WriteString(`{"origin":`)
	o, _ := json.Marshal(origin)
	buf.Write(o)
	buf.WriteString(`,"origin_server_ts":`)
	buf.WriteString(strconv.FormatInt(ts, 10))
	buf.WriteString(`,"pdus":[`)
	for i, p := range pdus {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(p)
	}
	buf.WriteString(`]`)
	if len(edus) > 0 {
		buf.WriteString(`,"edus":[`)
		for i, e := range edus {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(`{"edu_type":`)
			t, _ := json.Marshal(e.Type)
			buf.Write(t)
			buf.WriteString(`,"content":`)
			if len(e.Content) == 0 {
				buf.WriteString(`{}`)
			} else {
				buf.Write(e.Content)
			}
			buf.WriteByte('}')
		}
		buf.WriteByte(']')
	}
	buf.WriteByte('}')
	return buf.Bytes()
}
