package federation

import axhttp "github.com/axonhs/axon/http"

func notFound(msg string) error  { return axhttp.Errorf(axhttp.CodeNotFound, "%s", msg) }
func forbidden(msg string) error { return axhttp.Errorf(axhttp.CodeForbidden, "%s", msg) }
