// Package dynamodblocal fetches and runs the official DynamoDB Local, and creates the table of
// template.yaml in it. The jar ships inside the npm package amplify-dynamodb-simulator, pinned
// here by version and checksum; Java 17 and npm are all it needs.
package dynamodblocal

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

const (
	// Package is the npm package (and version) whose tarball holds DynamoDB Local.
	Package = "amplify-dynamodb-simulator@2.9.30"
	// PackageSHA256 is the sha256 of that tarball as `npm pack` writes it.
	PackageSHA256 = "3503ffac19f183407909fecdacf4db51ab1fdad1da7b2f177016670b2d80e4b9"
	// JarName is the file that Start runs.
	JarName = "DynamoDBLocal.jar"

	subdir        = "dynamodb-local"
	archivePrefix = "package/emulator/"
)

// CacheDir returns the folder for downloaded tools: $KEEPSAFE_CACHE when set, else .cache at
// the repository root (the directory holding go.mod, found by walking up from the working
// directory). When no go.mod is found it falls back to the user cache directory.
func CacheDir() string {
	if d := os.Getenv("KEEPSAFE_CACHE"); d != "" {
		return d
	}
	if root, err := RepoRoot(); err == nil {
		return filepath.Join(root, ".cache")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "keepsafe")
	}
	return filepath.Join(os.TempDir(), "keepsafe-cache")
}

// RepoRoot walks up from the working directory to the directory holding go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if st, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && !st.IsDir() {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("dynamodblocal: no go.mod in the working directory or its parents")
		}
		dir = parent
	}
}

// Ensure makes sure DynamoDB Local is unpacked under <cacheDir>/dynamodb-local and returns that
// folder. When the jar is missing it runs `npm pack` for the pinned package, refuses a tarball
// whose sha256 differs from PackageSHA256, and unpacks its emulator folder atomically (into a
// temporary folder that is then renamed). Several processes may call it at once: they take
// turns through a lock file, and the ones that wait find the jar in place.
func Ensure(cacheDir string) (string, error) {
	cacheDir, err := filepath.Abs(cacheDir)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cacheDir, subdir)
	if ready(dir) {
		return dir, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("dynamodblocal: %w", err)
	}
	unlock, err := lock(filepath.Join(cacheDir, subdir+".lock"))
	if err != nil {
		return "", fmt.Errorf("dynamodblocal: lock: %w", err)
	}
	defer unlock()
	if ready(dir) { // another process finished while we waited
		return dir, nil
	}

	work, err := os.MkdirTemp(cacheDir, ".dynamodb-local-")
	if err != nil {
		return "", fmt.Errorf("dynamodblocal: %w", err)
	}
	defer os.RemoveAll(work)

	tgz, err := npmPack(work)
	if err != nil {
		return "", err
	}
	if err := verify(tgz, PackageSHA256); err != nil {
		return "", err
	}
	staged := filepath.Join(work, "emulator")
	if err := extract(tgz, archivePrefix, staged); err != nil {
		return "", err
	}
	if !ready(staged) {
		return "", fmt.Errorf("dynamodblocal: %s has no %s%s", Package, archivePrefix, JarName)
	}
	// A folder left without its jar (an interrupted run of an older version) is replaced.
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("dynamodblocal: %w", err)
	}
	if err := os.Rename(staged, dir); err != nil {
		if ready(dir) { // someone without the lock (another cache user) won the race
			return dir, nil
		}
		return "", fmt.Errorf("dynamodblocal: %w", err)
	}
	return dir, nil
}

func ready(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, JarName))
	return err == nil && st.Mode().IsRegular() && st.Size() > 0
}

// npmPack runs `npm pack` for the pinned package in dir and returns the tarball's path.
func npmPack(dir string) (string, error) {
	cmd := exec.Command("npm", "pack", "--silent", Package)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false", "npm_config_fund=false", "npm_config_audit=false")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("dynamodblocal: npm pack %s: %w\n%s", Package, err, out)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*.tgz"))
	if len(matches) != 1 {
		return "", fmt.Errorf("dynamodblocal: npm pack %s wrote %d tarballs\n%s", Package, len(matches), out)
	}
	return matches[0], nil
}

func verify(file, want string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("dynamodblocal: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("dynamodblocal: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("dynamodblocal: %s has sha256 %s, want %s; refusing to use it", filepath.Base(file), got, want)
	}
	return nil
}

// extract writes the regular files and folders of the gzipped tarball under prefix into dest,
// without the prefix. Entries that would land outside dest, links and devices are refused.
func extract(tgz, prefix, dest string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return fmt.Errorf("dynamodblocal: %w", err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("dynamodblocal: %s: %w", filepath.Base(tgz), err)
	}
	defer gz.Close()
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("dynamodblocal: %s: %w", filepath.Base(tgz), err)
		}
		name, ok := strings.CutPrefix(h.Name, prefix)
		if !ok || name == "" {
			continue
		}
		rel := path.Clean(name)
		if !filepath.IsLocal(filepath.FromSlash(rel)) {
			return fmt.Errorf("dynamodblocal: refusing archive entry %q outside the target folder", h.Name)
		}
		target := filepath.Join(dest, filepath.FromSlash(rel))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			mode := os.FileMode(0o644)
			if h.FileInfo().Mode()&0o111 != 0 {
				mode = 0o755
			}
			out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_EXCL, mode)
			if err != nil {
				return err
			}
			if _, err := io.Copy(out, tr); err != nil {
				out.Close()
				return err
			}
			if err := out.Close(); err != nil {
				return err
			}
		default:
			return fmt.Errorf("dynamodblocal: refusing archive entry %q of type %q", h.Name, h.Typeflag)
		}
	}
}
