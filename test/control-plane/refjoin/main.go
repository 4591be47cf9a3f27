// refjoin: the Go reference for kubejoin's benchmark. It obtains a node client
// credential exactly as `kubeadm join` + the kubelet do, with the official code and nothing
// else:
//
//  1. discovery: kubeadm's token discovery (k8s.io/kubernetes/cmd/kubeadm/app/discovery,
//     which calls discovery/token.RetrieveValidatedConfigInfo: cluster-info, JWS, CA pin,
//     second fetch over the pinned CA), then the TLS bootstrap kubeconfig kubeadm builds from
//     it (discovery.For) and writes to bootstrap-kubelet.conf (the kubelet-start phase);
//  2. TLS bootstrap: k8s.io/kubernetes/pkg/kubelet/certificate/bootstrap.LoadClientCert (the
//     kubelet's own: key, /healthz wait, CSR, watch until issued, cert store, kubelet.conf);
//  3. verify: a SelfSubjectReview with the new credential (kubelet.conf).
//
// No tuning and no shortcuts: client-go defaults throughout. The phase split inside
// LoadClientCert comes from the V(2) log lines it emits through the context's logger
// ("Waiting for client certificate to be issued", "Certificate signing request is issued").
//
// Usage (flags like kubeadm's):
//
//	refjoin [<endpoint>] --token T | --token-file F --discovery-token-ca-cert-hash sha256:H
//	        --node-name N --cert-dir D [--count N] [--discovery-timeout 5m]
//
// One join: <cert-dir> gets kubelet-client-current.pem, bootstrap-kubelet.conf, kubelet.conf.
// --count N: N joins at once in this process, node names <name>-0..N-1, each in
// <cert-dir>/<name>-i. Prints ONE JSON line on stdout. The token is never printed.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	kubeadmapi "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm"
	kubeadmconstants "k8s.io/kubernetes/cmd/kubeadm/app/constants"
	"k8s.io/kubernetes/cmd/kubeadm/app/discovery"
	kubeconfigutil "k8s.io/kubernetes/cmd/kubeadm/app/util/kubeconfig"
	"k8s.io/kubernetes/pkg/kubelet/certificate/bootstrap"
)

type hashes []string

func (h *hashes) String() string     { return strings.Join(*h, ",") }
func (h *hashes) Set(v string) error { *h = append(*h, strings.Split(v, ",")...); return nil }

type options struct {
	endpoint         string
	token            string
	hashes           hashes
	unsafeSkipCA     bool
	nodeName         string
	certDir          string
	count            int
	discoveryTimeout time.Duration
}

// phases of one join, in milliseconds.
type phases struct {
	Discovery float64 `json:"discovery"` // discovery.For + writing bootstrap-kubelet.conf
	CSR       float64 `json:"csr"`       // LoadClientCert until the CSR exists: key, /healthz, POST
	Wait      float64 `json:"wait"`      // list+watch until the certificate is issued
	Files     float64 `json:"files"`     // cert store update + kubelet.conf
	Verify    float64 `json:"verify"`    // SelfSubjectReview with the new credential
	Total     float64 `json:"total"`
}

type joinResult struct {
	phases
	Node     string `json:"node"`
	Username string `json:"username,omitempty"`
	Error    string `json:"error,omitempty"`
}

func main() {
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "refjoin: %v\n", err)
		os.Exit(2)
	}
	var out map[string]any
	ok := true
	if opts.count <= 1 {
		r := joinOne(opts, opts.nodeName, opts.certDir)
		ok = r.Error == ""
		out = map[string]any{"tool": "refjoin", "mode": "single", "ok": ok, "node": r.Node, "phasesMs": r.phases}
		if r.Username != "" {
			out["username"] = r.Username
		}
		if !ok {
			out["error"] = r.Error
		}
	} else {
		out = fleet(opts)
		ok = out["succeeded"] == opts.count
	}
	out["peakRssKiB"] = vmHWM()
	line, _ := json.Marshal(out)
	fmt.Println(string(line))
	if !ok {
		os.Exit(1)
	}
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("refjoin", flag.ContinueOnError)
	tokenFile := ""
	fs.StringVar(&o.token, "token", "", "bootstrap token <id>.<secret> (discovery and TLS bootstrap)")
	fs.StringVar(&tokenFile, "token-file", "", "read the token from this file instead (keeps it out of argv)")
	fs.Var(&o.hashes, "discovery-token-ca-cert-hash", "sha256:<hex> pin of the cluster CA public key (repeatable)")
	fs.BoolVar(&o.unsafeSkipCA, "discovery-token-unsafe-skip-ca-verification", false, "no CA pinning")
	fs.StringVar(&o.nodeName, "node-name", "", "node name (with --count: the prefix of <name>-i)")
	fs.StringVar(&o.certDir, "cert-dir", "", "directory for the key, certificate and kubeconfigs")
	fs.IntVar(&o.count, "count", 1, "joins at once in this process")
	fs.DurationVar(&o.discoveryTimeout, "discovery-timeout", 5*time.Minute, "kubeadm's timeouts.discovery")
	// kubeadm takes the endpoint as a positional argument, before or after the flags.
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		o.endpoint, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if rest := fs.Args(); len(rest) == 1 && o.endpoint == "" {
		o.endpoint = rest[0]
	} else if len(rest) > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", rest)
	}
	if tokenFile != "" {
		b, err := os.ReadFile(tokenFile)
		if err != nil {
			return nil, err
		}
		o.token = strings.TrimSpace(string(b))
	}
	switch {
	case o.endpoint == "":
		return nil, errors.New("the API server endpoint (host:port) is required")
	case o.token == "":
		return nil, errors.New("--token or --token-file is required")
	case len(o.hashes) == 0 && !o.unsafeSkipCA:
		return nil, errors.New("--discovery-token-ca-cert-hash is required (or --discovery-token-unsafe-skip-ca-verification)")
	case o.nodeName == "" || o.certDir == "":
		return nil, errors.New("--node-name and --cert-dir are required")
	case o.count < 1:
		return nil, errors.New("--count must be >= 1")
	}
	// kubelet.conf names the certificate by path, resolved against kubelet.conf's own
	// directory when relative: keep it absolute, as the kubelet's --cert-dir is in practice.
	abs, err := filepath.Abs(o.certDir)
	if err != nil {
		return nil, err
	}
	o.certDir = abs
	return o, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// joinOne runs discovery, the kubelet's TLS bootstrap and a SelfSubjectReview for one node.
func joinOne(o *options, nodeName, dir string) (r joinResult) {
	r.Node = nodeName
	start := time.Now()
	defer func() { r.Total = ms(time.Since(start)) }()
	fail := func(phase string, err error) joinResult {
		r.Error = fmt.Sprintf("%s: %v", phase, err)
		return r
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fail("setup", err)
	}
	bootstrapPath := filepath.Join(dir, kubeadmconstants.KubeletBootstrapKubeConfigFileName)
	kubeconfigPath := filepath.Join(dir, kubeadmconstants.KubeletKubeConfigFileName)

	// 1. Discovery, as `kubeadm join` does it (token discovery; TLSBootstrapToken = --token).
	cfg := &kubeadmapi.JoinConfiguration{
		Discovery: kubeadmapi.Discovery{
			BootstrapToken: &kubeadmapi.BootstrapTokenDiscovery{
				Token:                    o.token,
				APIServerEndpoint:        o.endpoint,
				CACertHashes:             o.hashes,
				UnsafeSkipCAVerification: o.unsafeSkipCA,
			},
			TLSBootstrapToken: o.token,
		},
		Timeouts: &kubeadmapi.Timeouts{Discovery: &metav1.Duration{Duration: o.discoveryTimeout}},
	}
	tlsBootstrapCfg, err := discovery.For(nil, cfg)
	if err != nil {
		return fail("discovery", err)
	}
	if err := kubeconfigutil.WriteToDisk(bootstrapPath, tlsBootstrapCfg); err != nil {
		return fail("discovery", err)
	}
	t1 := time.Now()
	r.Discovery = ms(t1.Sub(start))

	// 2. The kubelet's TLS bootstrap. Its V(2) log lines mark where the CSR exists and
	// where the certificate arrived.
	var mu sync.Mutex
	var requested, issued time.Time
	logger := funcr.New(func(_, args string) {
		now := time.Now()
		mu.Lock()
		defer mu.Unlock()
		switch {
		case strings.Contains(args, `"Waiting for client certificate to be issued"`):
			requested = now
		case strings.Contains(args, `"Certificate signing request is issued"`):
			issued = now
		}
	}, funcr.Options{Verbosity: 2})
	ctx := logr.NewContext(context.Background(), logger)
	if err := bootstrap.LoadClientCert(ctx, kubeconfigPath, bootstrapPath, dir, types.NodeName(nodeName)); err != nil {
		return fail("tls-bootstrap", err)
	}
	t2 := time.Now()
	mu.Lock()
	if !requested.IsZero() && !issued.IsZero() {
		r.CSR = ms(requested.Sub(t1))
		r.Wait = ms(issued.Sub(requested))
		r.Files = ms(t2.Sub(issued))
	}
	mu.Unlock()

	// 3. A SelfSubjectReview with the new credential.
	restCfg, err := clientcmd.BuildConfigFromFlags("", kubeconfigPath)
	if err != nil {
		return fail("verify", err)
	}
	client, err := clientset.NewForConfig(restCfg)
	if err != nil {
		return fail("verify", err)
	}
	review, err := client.AuthenticationV1().SelfSubjectReviews().Create(context.Background(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return fail("verify", err)
	}
	r.Username = review.Status.UserInfo.Username
	if want := "system:node:" + nodeName; r.Username != want {
		return fail("verify", fmt.Errorf("the cluster sees %q, expected %q", r.Username, want))
	}
	r.Verify = ms(time.Since(t2))
	return r
}

// fleet runs o.count joins at once and summarizes them.
func fleet(o *options) map[string]any {
	results := make([]joinResult, o.count)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range o.count {
		name := o.nodeName + "-" + strconv.Itoa(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			results[i] = joinOne(o, name, filepath.Join(o.certDir, name))
		}()
	}
	start := time.Now()
	close(gate)
	wg.Wait()
	wall := ms(time.Since(start))

	var totals []float64
	errs := map[string]int{}
	for _, r := range results {
		if r.Error == "" {
			totals = append(totals, r.Total)
		} else {
			errs[r.Error]++
		}
	}
	sort.Float64s(totals)
	out := map[string]any{
		"tool": "refjoin", "mode": "fleet", "count": o.count, "succeeded": len(totals),
		"wallMs": wall, "p50Ms": quantile(totals, 0.5), "p95Ms": quantile(totals, 0.95), "maxMs": quantile(totals, 1),
	}
	if len(errs) > 0 {
		out["errors"] = errs
	}
	return out
}

// quantile: nearest rank on sorted values (0 when empty).
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

// vmHWM: this process's peak resident set (KiB) from /proc/self/status.
func vmHWM() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return n
		}
	}
	return 0
}
