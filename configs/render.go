package configs

import (
	_ "embed"
	"fmt"
	"io"
	"strconv"
	"text/template"
)

//go:embed homeserver.yaml.tmpl
var templateText string

var fileTemplate = template.Must(template.New(ConfigFileName).
	Funcs(template.FuncMap{"quote": strconv.Quote}).
	Parse(templateText))

// Params are the values a generated homeserver.yaml is written with; every
// other option is written with its default and a comment.
type Params struct {
	ServerName               string
	DataDir                  string
	ClientListen             string
	FederationListen         string
	EnableRegistration       bool
	RegistrationSharedSecret string
}

// SampleParams are the values of configs/homeserver.sample.yaml.
var SampleParams = Params{
	ServerName:       "example.org",
	DataDir:          ".",
	ClientListen:     DefaultClientListen,
	FederationListen: DefaultFederationListen,
}

// Render writes a commented homeserver.yaml holding p and the defaults.
func Render(w io.Writer, p Params) error {
	if err := fileTemplate.Execute(w, p); err != nil {
		return fmt.Errorf("configs: writing %s: %w", ConfigFileName, err)
	}
	return nil
}
