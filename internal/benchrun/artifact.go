package benchrun

import (
	"archive/zip"
	"fmt"
	"math"
	"os"
)

// InspectZip measures the zipped deployment artefact at path: its size and
// the uncompressed size of its bootstrap entry, which must be there.
func InspectZip(path string) (Artifact, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Artifact{}, fmt.Errorf("benchrun: artefact: %w", err)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		return Artifact{}, fmt.Errorf("benchrun: artefact %s: %w", path, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name == "bootstrap" {
			return Artifact{Path: path, Bytes: fi.Size(), BootstrapBytes: int64(min(f.UncompressedSize64, math.MaxInt64))}, nil
		}
	}
	return Artifact{}, fmt.Errorf("benchrun: artefact %s has no bootstrap entry at its root", path)
}
