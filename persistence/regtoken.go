package persistence

import (
	"errors"
	"fmt"
)

// RegistrationToken returns a registration token's record, or ErrNotFound.
func (s *Store) RegistrationToken(token string) (RegistrationToken, error) {
	var t RegistrationToken
	if len(token) > maxKeyComponentBytes {
		return t, ErrNotFound
	}
	err := s.getJSON(regTokenKey(token), &t)
	return t, err
}

// PutRegistrationToken creates or replaces a registration token.
func (s *Store) PutRegistrationToken(token string, t RegistrationToken) error {
	s.singleUse.Lock()
	defer s.singleUse.Unlock()
	b := s.NewBatch()
	if b.check(token) {
		b.setJSON(regTokenKey(token), t)
	}
	return b.Commit()
}

// ReserveRegistrationToken counts one pending use of a valid token (the UIA
// stage m.login.registration_token succeeded); ErrTokenInvalid otherwise.
func (s *Store) ReserveRegistrationToken(token string, nowMS int64) error {
	return s.updateRegToken(token, func(t *RegistrationToken) error {
		if !t.Valid(nowMS) {
			return ErrTokenInvalid
		}
		t.Pending++
		return nil
	})
}

// ReleaseRegistrationToken turns a pending use into a completed one when
// completed is true (the registration succeeded), or gives it back (the UIA
// session expired).
func (s *Store) ReleaseRegistrationToken(token string, completed bool) error {
	return s.updateRegToken(token, func(t *RegistrationToken) error {
		if t.Pending > 0 {
			t.Pending--
		}
		if completed {
			t.Completed++
		}
		return nil
	})
}

func (s *Store) updateRegToken(token string, f func(*RegistrationToken) error) error {
	s.singleUse.Lock()
	defer s.singleUse.Unlock()
	t, err := s.RegistrationToken(token)
	if errors.Is(err, ErrNotFound) {
		return ErrTokenInvalid
	}
	if err != nil {
		return err
	}
	if err := f(&t); err != nil {
		return err
	}
	b := s.NewBatch()
	b.setJSON(regTokenKey(token), t)
	if err := b.Commit(); err != nil {
		return fmt.Errorf("persistence: updating registration token: %w", err)
	}
	return nil
}
