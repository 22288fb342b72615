// Command pulumi-policies-langhost is this project's Python language host for the Pulumi engine
// (`pulumi-language-python`), for machines without Pulumi's own.
//
// The engine starts a language host twice per command, reads the port it prints on stdout and talks gRPC
// to it (pulumirpc.LanguageRuntime). It is written in Go for its start-up cost: the earlier host, in
// Python, spent 0.6 to 0.8 s importing grpc and the pulumi SDK at each start; this one starts in
// milliseconds. Programs still run in Python, through run_program.py (`Run`), and policy packs run as
// `python -u <pack dir>` (`RunPlugin`), with the interpreter chosen the way Pulumi's own host chooses it:
// `runtime.options.virtualenv` of Pulumi.yaml / PulumiPolicy.yaml (relative to the project root), else
// $PULUMI_PYTHON_CMD, else python3. Like pulumi_policies/lifeline.py, it ends (its children first) once
// the engine's port has refused two connections in a row, whatever killed the engine.
//
// Usage: pulumi-policies-langhost --runner DIR/run_program.py [-engine-flags...] ENGINE_ADDRESS
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

const (
	version         = "3.259.0"
	alreadyReported = 32 // the program's exit code for "error shown to the user already"
	maxMessage      = 400 * 1024 * 1024
	lifelineEvery   = time.Second // between two looks at the engine's port
	lifelineMisses  = 2           // refused connections in a row that mean the engine is gone
)

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	runner   string
	mu       sync.Mutex
	engine   string
	children map[*os.Process]bool // under way, so that Cancel and SIGTERM can stop them
}

func (h *host) start(cmd *exec.Cmd) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := cmd.Start(); err != nil {
		return err
	}
	h.children[cmd.Process] = true
	return nil
}

// wait waits for a child started by start and returns its exit code (-N when signal N ended it).
func (h *host) wait(cmd *exec.Cmd) int {
	_ = cmd.Wait()
	h.mu.Lock()
	delete(h.children, cmd.Process)
	h.mu.Unlock()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -int(ws.Signal())
	}
	return cmd.ProcessState.ExitCode()
}

func (h *host) terminate() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for p := range h.children {
		_ = p.Signal(syscall.SIGTERM)
	}
}

// pyJoin joins paths as Python's os.path.join does: an absolute b replaces a, nothing is cleaned.
func pyJoin(a, b string) string {
	if strings.HasPrefix(b, "/") || a == "" {
		return b
	}
	if strings.HasSuffix(a, "/") {
		return a + b
	}
	return a + "/" + b
}

// pyRepr quotes s as Python's repr() does (for the wording of the virtualenv error).
func pyRepr(s string) string {
	quote := "'"
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		quote = `"`
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\' || string(r) == quote:
			b.WriteString(`\` + string(r))
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return quote + b.String() + quote
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

func root(info *pulumirpc.ProgramInfo, fallback string) string {
	if r := info.GetRootDirectory(); r != "" {
		return r
	}
	if fallback != "" {
		return fallback
	}
	wd, _ := os.Getwd()
	return wd
}

func virtualenv(info *pulumirpc.ProgramInfo, fallbackRoot string) string {
	venv := info.GetOptions().GetFields()["virtualenv"].GetStringValue()
	if venv == "" {
		return ""
	}
	return pyJoin(root(info, fallbackRoot), venv)
}

// defaultPython is the interpreter without a virtualenv option: $PULUMI_PYTHON_CMD, else python3.
func defaultPython() string {
	if cmd := os.Getenv("PULUMI_PYTHON_CMD"); cmd != "" {
		return cmd
	}
	if path, err := exec.LookPath("python3"); err == nil {
		return path
	}
	return "python3"
}

// python is the interpreter to run a program or pack with, and the environment changes ("K=V") that go with it.
func python(info *pulumirpc.ProgramInfo, fallbackRoot string) (string, []string, error) {
	venv := virtualenv(info, fallbackRoot)
	if venv == "" {
		return defaultPython(), nil, nil
	}
	bin := pyJoin(venv, "bin")
	exe := pyJoin(bin, "python")
	if !exists(exe) {
		return "", nil, fmt.Errorf("The 'virtualenv' option names %s, which is not a virtual environment. Create it with "+
			"`pulumi install` (or python3 -m venv %s && %s/bin/pip install -r requirements.txt).", pyRepr(venv), venv, venv)
	}
	return exe, []string{"VIRTUAL_ENV=" + venv, "PATH=" + bin + ":" + os.Getenv("PATH"), "PULUMI_RUNTIME_VIRTUALENV=" + venv}, nil
}

// childEnv is our environment without PYTHONHOME, with each "K=V" of the overrides in turn replacing K.
func childEnv(overrides ...[]string) []string {
	env := map[string]string{}
	var keys []string
	set := func(kv string) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return
		}
		if _, seen := env[k]; !seen {
			keys = append(keys, k)
		}
		env[k] = v
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PYTHONHOME=") {
			set(kv)
		}
	}
	for _, list := range overrides {
		for _, kv := range list {
			set(kv)
		}
	}
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k+"="+env[k])
	}
	return out
}

// stream runs cmd, handing its stdout and stderr chunks to send as they come, and returns its exit code.
// Once send fails (the caller has gone) the output is still drained, so that the child never blocks on it.
func (h *host) stream(cmd *exec.Cmd, send func(stderr bool, data []byte) error) (int, error) {
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return 0, err
	}
	if err := h.start(cmd); err != nil {
		return 0, err
	}
	type chunk struct {
		stderr bool
		data   []byte // nil: that pipe is closed
	}
	chunks := make(chan chunk)
	pump := func(r interface{ Read([]byte) (int, error) }, isErr bool) {
		for {
			buf := make([]byte, 65536)
			n, err := r.Read(buf)
			if n > 0 {
				chunks <- chunk{isErr, buf[:n]}
			}
			if err != nil {
				chunks <- chunk{isErr, nil}
				return
			}
		}
	}
	go pump(stdout, false)
	go pump(stderr, true)
	var sendErr error
	for open := 2; open > 0; {
		c := <-chunks
		if c.data == nil {
			open--
		} else if sendErr == nil {
			sendErr = send(c.stderr, c.data)
		}
	}
	return h.wait(cmd), sendErr
}

// -- plugin metadata -----------------------------------------------------------------------------------

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.EngineAddress != "" {
		h.mu.Lock()
		h.engine = req.EngineAddress
		h.mu.Unlock()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// GetRequiredPlugins: dynamic providers are served by the bundled pulumi-python provider; nothing to download.
func (h *host) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *host) About(_ context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	exe, _, err := python(req.GetInfo(), "")
	if err != nil {
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	}
	out, err := exec.Command(exe, "--version").Output()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "Python ")
	return &pulumirpc.AboutResponse{Executable: exe, Version: v}, nil
}

func (h *host) GetProgramDependencies(_ context.Context, req *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	exe, extra, err := python(req.GetInfo(), req.Pwd)
	if err != nil {
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	}
	cmd := exec.Command(exe, "-m", "pip", "list", "--format=json", "--disable-pip-version-check")
	var stdout, stderr bytes.Buffer
	cmd.Env, cmd.Stdout, cmd.Stderr = childEnv(extra), &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			return nil, err
		}
		return nil, status.Errorf(codes.Internal, "pip list failed: %s", strings.TrimSpace(stderr.String()))
	}
	var deps []struct{ Name, Version string }
	if err := json.Unmarshal(stdout.Bytes(), &deps); err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetProgramDependenciesResponse{}
	for _, d := range deps {
		resp.Dependencies = append(resp.Dependencies, &pulumirpc.DependencyInfo{Name: d.Name, Version: d.Version})
	}
	return resp, nil
}

// -- running programs and plugins ----------------------------------------------------------------------

func (h *host) Run(_ context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	dir, entry := info.GetProgramDirectory(), info.GetEntryPoint()
	if dir == "" {
		dir = req.Pwd
	}
	if entry == "" {
		entry = req.Program
	}
	if entry == "" {
		entry = "."
	}
	exe, extra, err := python(info, req.Pwd)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	h.mu.Lock()
	engine := h.engine
	h.mu.Unlock()
	args := append([]string{"-u", h.runner,
		"--monitor", req.MonitorAddress, "--engine", engine,
		"--project", req.Project, "--stack", req.Stack, "--pwd", req.Pwd,
		"--dry_run", strconv.FormatBool(req.DryRun), "--parallel", strconv.Itoa(int(req.Parallel)),
		"--organization", req.Organization, "--root_directory", root(info, req.Pwd),
		filepath.Clean(pyJoin(dir, entry))}, req.Args...)
	config, secretKeys := map[string]string{}, []string{}
	for k, v := range req.Config {
		config[k] = v
	}
	secretKeys = append(secretKeys, req.ConfigSecretKeys...)
	configJSON, _ := json.Marshal(config)
	keysJSON, _ := json.Marshal(secretKeys)
	cmd := exec.Command(exe, args...)
	cmd.Env = childEnv(extra, []string{"PULUMI_CONFIG=" + string(configJSON), "PULUMI_CONFIG_SECRET_KEYS=" + string(keysJSON)})
	// The program's output goes where ours goes: the engine shows it as the program's diagnostics.
	cmd.Dir, cmd.Stdout, cmd.Stderr = req.Pwd, os.Stdout, os.Stderr
	if err := h.start(cmd); err != nil {
		return nil, err
	}
	switch code := h.wait(cmd); code {
	case 0:
		return &pulumirpc.RunResponse{}, nil
	case alreadyReported:
		return &pulumirpc.RunResponse{Bail: true}, nil
	default:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code)}, nil
	}
}

func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, srv grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]) error {
	info := req.GetInfo()
	dir := info.GetProgramDirectory()
	for _, alt := range []string{req.Program, req.Pwd} {
		if dir == "" {
			dir = alt
		}
	}
	exitcode := func(code int) error {
		return srv.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)}})
	}
	exe, extra, err := python(info, dir)
	if err != nil {
		if err := srv.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: []byte(err.Error() + "\n")}}); err != nil {
			return err
		}
		return exitcode(1)
	}
	var env []string
	for _, kv := range req.Env {
		if strings.Contains(kv, "=") {
			env = append(env, kv)
		}
	}
	cmd := exec.Command(exe, append([]string{"-u", dir}, req.Args...)...)
	cmd.Env, cmd.Dir = childEnv(extra, env), req.Pwd
	if cmd.Dir == "" {
		cmd.Dir = dir
	}
	code, err := h.stream(cmd, func(stderr bool, data []byte) error {
		if stderr {
			return srv.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: data}})
		}
		return srv.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: data}})
	})
	if err != nil {
		return err
	}
	return exitcode(code)
}

func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest, srv grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]) error {
	info := req.GetInfo()
	dir := req.Directory
	if dir == "" {
		dir = root(info, "")
	}
	requirements := pyJoin(dir, "requirements.txt")
	venv := virtualenv(info, dir)
	var steps [][]string
	exe := defaultPython()
	if venv != "" {
		if exe = pyJoin(pyJoin(venv, "bin"), "python"); !exists(exe) {
			steps = append(steps, []string{defaultPython(), "-m", "venv", venv})
		}
	}
	if exists(requirements) {
		steps = append(steps, []string{exe, "-m", "pip", "install", "--disable-pip-version-check", "-r", requirements})
	}
	for _, step := range steps {
		cmd := exec.Command(step[0], step[1:]...)
		cmd.Env, cmd.Dir = childEnv(), dir
		code, err := h.stream(cmd, func(stderr bool, data []byte) error {
			if stderr {
				return srv.Send(&pulumirpc.InstallDependenciesResponse{Stderr: data})
			}
			return srv.Send(&pulumirpc.InstallDependenciesResponse{Stdout: data})
		})
		if err != nil {
			return err
		}
		if code != 0 {
			return status.Errorf(codes.Internal, "%s exited with code %d", strings.Join(step, " "), code)
		}
	}
	return nil
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.terminate()
	return &emptypb.Empty{}, nil
}

// -- start-up and the lifeline -------------------------------------------------------------------------

// engineAddress is the engine's host:port among our arguments (the last positional one), if it is one.
func engineAddress(positional []string) (string, bool) {
	if len(positional) == 0 {
		return "", false
	}
	arg := positional[len(positional)-1]
	i := strings.LastIndex(arg, ":")
	if i <= 0 {
		return "", false
	}
	port := arg[i+1:]
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", false
	}
	return net.JoinHostPort(strings.Trim(arg[:i], "[]"), port), true
}

// lifeline calls onGone once the engine at address refuses lifelineMisses connections in a row. A live
// engine accepts however busy it is; a connection that times out is a busy machine, not a dead engine.
func lifeline(address string, onGone func()) {
	for refused := 0; refused < lifelineMisses; {
		time.Sleep(lifelineEvery)
		conn, err := net.DialTimeout("tcp", address, lifelineEvery)
		switch {
		case err == nil:
			conn.Close()
			refused = 0
		case errors.Is(err, syscall.ECONNREFUSED):
			refused++
		default:
			refused = 0
		}
	}
	onGone()
}

func main() {
	h := &host{children: map[*os.Process]bool{}}
	var positional []string // the engine passes flags of its own (-root=..., --tracing X, -v=N): ignored
	for args := os.Args[1:]; len(args) > 0; args = args[1:] {
		switch a := args[0]; {
		case (a == "--runner" || a == "-runner") && len(args) > 1:
			h.runner, args = args[1], args[1:]
		case strings.HasPrefix(a, "--runner="):
			h.runner = strings.TrimPrefix(a, "--runner=")
		case !strings.HasPrefix(a, "-"):
			positional = append(positional, a)
		}
	}
	if h.runner == "" {
		fmt.Fprintln(os.Stderr, "usage: pulumi-policies-langhost --runner DIR/run_program.py [flags...] ENGINE_ADDRESS")
		os.Exit(2)
	}
	if len(positional) > 0 {
		h.engine = positional[len(positional)-1]
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	server := grpc.NewServer(grpc.MaxRecvMsgSize(maxMessage), grpc.MaxSendMsgSize(maxMessage))
	pulumirpc.RegisterLanguageRuntimeServer(server, h)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	go func() { _ = server.Serve(lis) }()
	fmt.Println(lis.Addr().(*net.TCPAddr).Port)
	if address, ok := engineAddress(positional); ok {
		// The engine may die without a word (SIGKILL): then end with it, children first.
		go lifeline(address, func() { h.terminate(); os.Exit(0) })
	}
	<-signals
	h.terminate()
	server.Stop()
	os.Exit(0)
}
