package storetest

import (
	"errors"
	"testing"

	"github.com/callimport/callimport/internal/store"
)

func userAdminTests() []test {
	return []test{{"UserUpdate", testUserUpdate}}
}

func testUserUpdate(t *testing.T, s store.Store) {
	ua, ok := s.(store.UserAdmin)
	if !ok {
		t.Fatalf("%T does not implement store.UserAdmin", s)
	}
	ctx := t.Context()
	f := setup(t, s)
	other := setup(t, s)
	u, err := s.UserCreate(ctx, store.UserCreateParams{OrgID: f.org.ID, Email: "m-" + f.org.ID + "@example.com", PasswordHash: "h1"})
	if err != nil {
		t.Fatal(err)
	}
	admin, yes := store.RoleAdmin, true
	got, err := ua.UserUpdate(ctx, store.UserUpdateParams{OrgID: f.org.ID, ID: u.ID, Role: &admin})
	if err != nil {
		t.Fatal(err)
	}
	if got.Role != store.RoleAdmin || got.Disabled || got.PasswordHash != "h1" || got.Email != u.Email {
		t.Fatalf("after role change: %+v", got)
	}
	hash := "h2"
	got, err = ua.UserUpdate(ctx, store.UserUpdateParams{OrgID: f.org.ID, ID: u.ID, Disabled: &yes, PasswordHash: &hash})
	if err != nil {
		t.Fatal(err)
	}
	if got.Role != store.RoleAdmin || !got.Disabled || got.PasswordHash != "h2" {
		t.Fatalf("after disable: %+v", got)
	}
	if read, err := s.UserGet(ctx, f.org.ID, u.ID); err != nil || !read.Disabled || read.Role != store.RoleAdmin {
		t.Fatalf("read back: %+v %v", read, err)
	}
	if _, err := ua.UserUpdate(ctx, store.UserUpdateParams{OrgID: other.org.ID, ID: u.ID, Disabled: &yes}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another organisation's user: %v, want ErrNotFound", err)
	}
}
