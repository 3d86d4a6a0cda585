package intel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Default feed URLs.
const (
	DefaultKEVURL  = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
	DefaultEPSSURL = "https://epss.cyentia.com/epss_scores-current.csv.gz"
	DefaultNVDURL  = "https://services.nvd.nist.gov/rest/json/cves/2.0"
)

// Config configures a Client; zero fields take the defaults.
type Config struct {
	KEVURL  string
	EPSSURL string
	NVDURL  string
	// NVDAPIKey is sent in the apiKey header; it raises NVD's rate limit
	// from 5 to 50 requests per 30 seconds.
	NVDAPIKey string

	// HTTP is the client requests go through (default: a new http.Client).
	HTTP *http.Client
	// Timeout bounds one request, body included (default 2 minutes).
	Timeout time.Duration
	// MaxBody is the largest response body accepted (default 256 MiB).
	MaxBody int64
	// Retries is how many times a failed request is retried (default 4;
	// negative: none). Network errors, 408, 425, 429, 5xx and NVD's 403 are
	// retried.
	Retries int
	// Backoff is the wait before the first retry, doubled each time up to
	// MaxBackoff (defaults 2 s and 1 min). A Retry-After header replaces it,
	// capped at MaxRetryAfter (default 2 min).
	Backoff       time.Duration
	MaxBackoff    time.Duration
	MaxRetryAfter time.Duration

	// NVDPageSize is resultsPerPage (default and maximum 2000).
	NVDPageSize int
	// NVDDelay is the pause between NVD requests (default 6 s without an
	// API key, as NVD asks, 1 s with one).
	NVDDelay time.Duration

	UserAgent string
	Logger    *slog.Logger
	// Now and Sleep stand in for the clock in tests.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client fetches the feeds.
type Client struct {
	cfg Config
	log *slog.Logger
}

// NewClient returns a client for cfg.
func NewClient(cfg Config) *Client {
	if cfg.KEVURL == "" {
		cfg.KEVURL = DefaultKEVURL
	}
	if cfg.EPSSURL == "" {
		cfg.EPSSURL = DefaultEPSSURL
	}
	if cfg.NVDURL == "" {
		cfg.NVDURL = DefaultNVDURL
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Minute
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 256 << 20
	}
	switch {
	case cfg.Retries == 0:
		cfg.Retries = 4
	case cfg.Retries < 0:
		cfg.Retries = 0
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 2 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Minute
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = 2 * time.Minute
	}
	if cfg.NVDPageSize <= 0 || cfg.NVDPageSize > 2000 {
		cfg.NVDPageSize = 2000
	}
	if cfg.NVDDelay <= 0 {
		cfg.NVDDelay = 6 * time.Second
		if cfg.NVDAPIKey != "" {
			cfg.NVDDelay = time.Second
		}
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "ctem (+https://github.com/ctemhq/ctem)"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, log: log}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// response is one fetched body.
type response struct {
	body         []byte
	etag         string
	lastModified string
	notModified  bool
}

// StatusError is an HTTP response other than 2xx or 304.
type StatusError struct {
	URL        string
	Code       int
	Status     string
	Message    string // NVD's message header, or the start of the body
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("GET %s: %s", e.URL, e.Status)
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// ErrTooLarge is returned for a body over Config.MaxBody.
var ErrTooLarge = errors.New("response body too large")

// errBody marks a connection lost while reading a body (retried).
var errBody = errors.New("reading the body")

// get fetches rawURL with retries and exponential backoff.
func (c *Client) get(ctx context.Context, feed, rawURL string, header http.Header) (*response, error) {
	var lastErr error
	for attempt := 0; ; attempt++ {
		resp, err := c.once(ctx, feed, rawURL, header)
		if err == nil {
			return resp, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if attempt >= c.cfg.Retries || !retryable(feed, err) {
			break
		}
		wait := c.backoff(attempt)
		var se *StatusError
		if errors.As(err, &se) && se.RetryAfter > 0 {
			wait = min(se.RetryAfter, c.cfg.MaxRetryAfter)
		}
		c.log.WarnContext(ctx, "feed request failed; retrying", "feed", feed, "url", rawURL, "attempt", attempt+1, "wait", wait, "err", err)
		if err := c.cfg.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
	return nil, explain(rawURL, lastErr)
}

// backoff is Backoff·2^attempt, capped, with up to 10 % jitter so that
// replicas do not retry in step.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.Backoff << min(attempt, 20)
	if d <= 0 || d > c.cfg.MaxBackoff {
		d = c.cfg.MaxBackoff
	}
	return d + time.Duration(rand.Int64N(int64(d)/10+1))
}

func (c *Client) once(ctx context.Context, feed, rawURL string, header http.Header) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if feed == "nvd" && c.cfg.NVDAPIKey != "" {
		req.Header.Set("apiKey", c.cfg.NVDAPIKey)
	}
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := &response{etag: resp.Header.Get("ETag"), lastModified: resp.Header.Get("Last-Modified")}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		out.notModified = true
		return out, nil
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBody+1))
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w: %w", redact(rawURL), errBody, err)
		}
		if int64(len(body)) > c.cfg.MaxBody {
			return nil, fmt.Errorf("GET %s: %w (over %d bytes)", redact(rawURL), ErrTooLarge, c.cfg.MaxBody)
		}
		out.body = body
		return out, nil
	}
	se := &StatusError{URL: redact(rawURL), Code: resp.StatusCode, Status: resp.Status, Message: resp.Header.Get("message"),
		RetryAfter: retryAfter(resp.Header.Get("Retry-After"), c.cfg.Now())}
	if se.Message == "" {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		se.Message = strings.Join(strings.Fields(string(b)), " ")
		if len(se.Message) > 200 {
			se.Message = se.Message[:200] + "…"
		}
	}
	return nil, se
}

// retryable says whether a request that failed with err may succeed later.
func retryable(feed string, err error) bool {
	if errors.Is(err, ErrTooLarge) {
		return false
	}
	var se *StatusError
	if errors.As(err, &se) {
		switch se.Code {
		case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests,
			http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		case http.StatusForbidden:
			return feed == "nvd" // NVD's answer to going over the rate limit
		}
		return false
	}
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return false // no such host: offline, or a wrong URL
	}
	var ue *url.Error
	return errors.As(err, &ue) || errors.Is(err, errBody)
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// explain turns a transport failure into the offline message.
func explain(rawURL string, err error) error {
	var se *StatusError
	if errors.As(err, &se) || errors.Is(err, ErrTooLarge) {
		return err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is in the message already
	}
	return fmt.Errorf("cannot reach %s: %w (offline? use `ctem feeds load DIR`)", host(rawURL), err)
}

func host(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil && u.Host != "" {
		return u.Host
	}
	return rawURL
}

// redact drops credentials from a URL for messages.
func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	u.User = nil
	return u.String()
}
