// Package storagetest is the conformance suite every storage engine passes.
package storagetest

import "github.com/linkwatch/linkwatch/storage"

// Store is the engine under test.
type Store = storage.Engine
