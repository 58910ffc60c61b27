package client

import (
	"encoding/json"
	"errors"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
)

// deviceJSON is a device as the spec's GET /devices returns it.
type deviceJSON struct {
	DeviceID    string  `json:"device_id"`
	DisplayName *string `json:"display_name,omitempty"`
	LastSeenIP  string  `json:"last_seen_ip,omitempty"`
	LastSeenTS  int64   `json:"last_seen_ts,omitempty"`
}

func toDeviceJSON(d persistence.Device) deviceJSON {
	out := deviceJSON{DeviceID: d.ID, LastSeenIP: d.LastSeenIP, LastSeenTS: d.LastSeenMS}
	if d.DisplayName != "" {
		name := d.DisplayName
		out.DisplayName = &name
	}
	return out
}

// listDevices is GET /devices.
func (a *API) listDevices(ctx *fasthttp.RequestCtx, s user.Session) error {
	ds, err := a.cfg.Store.Devices(s.Localpart)
	if err != nil {
		return err
	}
	out := make([]deviceJSON, len(ds))
	for i, d := range ds {
		out[i] = toDeviceJSON(d)
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"devices": out})
	return nil
}

func (a *API) deviceParam(ctx *fasthttp.RequestCtx) (string, error) {
	id, err := axhttp.Param(ctx, "deviceId")
	if err != nil {
		return "", err
	}
	if id == "" || len(id) > maxDeviceIDBytes {
		return "", axhttp.Errorf(axhttp.CodeNotFound, "No device with that ID")
	}
	return id, nil
}

// getDevice is GET /devices/{deviceId}.
func (a *API) getDevice(ctx *fasthttp.RequestCtx, s user.Session) error {
	id, err := a.deviceParam(ctx)
	if err != nil {
		return err
	}
	d, err := a.cfg.Store.Device(s.Localpart, id)
	if errors.Is(err, persistence.ErrNotFound) {
		return axhttp.Errorf(axhttp.CodeNotFound, "No device with that ID")
	}
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, toDeviceJSON(d))
	return nil
}

// updateDevice is PUT /devices/{deviceId}: only display_name can change.
func (a *API) updateDevice(ctx *fasthttp.RequestCtx, s user.Session) error {
	id, err := a.deviceParam(ctx)
	if err != nil {
		return err
	}
	var req struct {
		DisplayName *string `json:"display_name"`
	}
	if err := axhttp.DecodeJSON(ctx, &req); err != nil {
		return err
	}
	if req.DisplayName == nil {
		// Nothing to change, but the device must still exist.
		if _, err := a.cfg.Store.Device(s.Localpart, id); err != nil {
			return matrixError(user.ErrUnknownDevice)
		}
	} else if err := a.doCmd(s.Localpart, user.RenameDevice{DeviceID: id, DisplayName: *req.DisplayName}); err != nil {
		return err
	} else if a.cfg.E2EE != nil {
		// A device's name is part of what other servers hold of it
		// (server-server-api "Device Management").
		a.cfg.E2EE.LocalDevicesChanged(s.Localpart)
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, struct{}{})
	return nil
}

// deleteDevice is DELETE /devices/{deviceId}, behind UIA.
func (a *API) deleteDevice(ctx *fasthttp.RequestCtx, s user.Session) error {
	id, err := a.deviceParam(ctx)
	if err != nil {
		return err
	}
	var req struct {
		Auth json.RawMessage `json:"auth"`
	}
	if err := axhttp.DecodeJSON(ctx, &req); err != nil {
		return err
	}
	if _, err := a.cfg.Store.Device(s.Localpart, id); errors.Is(err, persistence.ErrNotFound) {
		return axhttp.Errorf(axhttp.CodeNotFound, "No device with that ID")
	}
	return a.deleteWithUIA(ctx, s, req.Auth, "delete_device:"+s.Localpart+":"+id, []string{id})
}

// deleteDevices is POST /delete_devices, behind UIA.
func (a *API) deleteDevices(ctx *fasthttp.RequestCtx, s user.Session) error {
	var req struct {
		Auth    json.RawMessage `json:"auth"`
		Devices *[]string       `json:"devices"`
	}
	if err := axhttp.DecodeJSON(ctx, &req); err != nil {
		return err
	}
	if req.Devices == nil {
		return axhttp.MissingParam("devices")
	}
	for _, id := range *req.Devices {
		if len(id) > maxDeviceIDBytes {
			return axhttp.Errorf(axhttp.CodeInvalidParam, "device ID too long")
		}
	}
	return a.deleteWithUIA(ctx, s, req.Auth, "delete_devices:"+s.Localpart, *req.Devices)
}

func (a *API) deleteWithUIA(ctx *fasthttp.RequestCtx, s user.Session, auth json.RawMessage, purpose string, ids []string) error {
	sess, err := a.interactive(auth, purpose, [][]string{{stagePassword}}, a.checkPassword(s.Localpart))
	if err != nil {
		return err
	}
	if err := a.doCmd(s.Localpart, user.DeleteDevices{DeviceIDs: ids}); err != nil {
		return err
	}
	a.uia.finish(sess.id)
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, struct{}{})
	return nil
}
