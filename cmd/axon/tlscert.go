package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
)

var errHalfTLSPair = errors.New("axon: only one of the TLS certificate and key exists")

// certHosts returns the DNS names and IPs a self-signed certificate for
// serverName covers: the server name's host (without port) and 127.0.0.1.
func certHosts(serverName string) (dns []string, ips []net.IP) {
	host := serverName
	if h, _, err := net.SplitHostPort(serverName); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	loopback := net.IPv4(127, 0, 0, 1)
	if ip := net.ParseIP(host); ip != nil {
		ips = append(ips, ip)
	} else {
		dns = append(dns, host)
	}
	if !(len(ips) == 1 && ips[0].Equal(loopback)) {
		ips = append(ips, loopback)
	}
	return dns, ips
}

// selfSignedCert makes an ECDSA P-256 certificate for serverName valid from
// an hour before now for ten years, returned as PEM certificate and PEM
// PKCS#8 private key. It is for development and first runs: federating with
// servers that check certificates needs one from a CA.
func selfSignedCert(serverName string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generating TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("generating serial: %w", err)
	}
	dns, ips := certHosts(serverName)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: serverName, Organization: []string{"Axon self-signed"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              dns,
		IPAddresses:           ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("creating certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding TLS key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}

// ensureTLS checks that the federation certificate and key load, and
// generates a self-signed pair when both are missing and generate is true
// (the paths are the defaults under data_dir, so nobody expects a real
// certificate there).
func ensureTLS(certPath, keyPath, serverName string, generate bool, now time.Time) (created bool, err error) {
	certThere, err := exists(certPath)
	if err != nil {
		return false, fmt.Errorf("listeners.tls_certificate_path: %w", err)
	}
	keyThere, err := exists(keyPath)
	if err != nil {
		return false, fmt.Errorf("listeners.tls_private_key_path: %w", err)
	}
	switch {
	case certThere && keyThere:
		if _, err := tls.LoadX509KeyPair(certPath, keyPath); err != nil {
			return false, fmt.Errorf("listeners.tls_certificate_path %s with listeners.tls_private_key_path %s: %w", certPath, keyPath, err)
		}
		return false, nil
	case certThere != keyThere:
		return false, fmt.Errorf("%w: listeners.tls_certificate_path %s exists=%t, listeners.tls_private_key_path %s exists=%t",
			errHalfTLSPair, certPath, certThere, keyPath, keyThere)
	case !generate:
		return false, fmt.Errorf("listeners.tls_certificate_path: %s does not exist", certPath)
	}
	certPEM, keyPEM, err := selfSignedCert(serverName, now)
	if err != nil {
		return false, err
	}
	if err := writeNewFile(keyPath, keyPEM, 0o600); err != nil {
		return false, fmt.Errorf("listeners.tls_private_key_path: %w", err)
	}
	if err := writeNewFile(certPath, certPEM, 0o644); err != nil {
		return false, fmt.Errorf("listeners.tls_certificate_path: %w", err)
	}
	return true, nil
}
