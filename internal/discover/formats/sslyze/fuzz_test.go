package sslyze_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/sslyze"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

// fuzzCorpusDir finds the shared corpus without skipping: the fuzz target
// must run (on its inline seeds) where the corpus is absent.
func fuzzCorpusDir() string {
	if d := os.Getenv("CTEM_CORPUS"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "..", "..", "shared", "corpus")
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	for _, dir := range []string{"sslyze"} {
		files, _ := filepath.Glob(filepath.Join(fuzzCorpusDir(), dir, "*"))
		for _, p := range files {
			// Small files only: big seeds slow every fuzz iteration.
			if st, err := os.Stat(p); err == nil && st.Size() <= 64<<10 {
				if data, err := os.ReadFile(p); err == nil {
					f.Add(data)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		format := sslyze.New()
		_ = format.Detect(data)
		err := format.Parse(context.Background(), bytes.NewReader(data), &reporttest.Recorder{})
		if err != nil {
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a *report.ParseError: %T %v", err, err)
			}
		}
	})
}

var fuzzSeeds = []string{
	`{"sslyze_version":"5.2.0","server_scan_results":[{"server_location":{"hostname":"a.example.com","ip_address":"10.0.0.1","port":443},"scan_result":{"heartbleed":{"status":"COMPLETED","result":{"is_vulnerable_to_heartbleed":true}},"tls_1_2_cipher_suites":{"status":"COMPLETED","result":{"accepted_cipher_suites":[{"cipher_suite":{"name":"TLS_RSA_WITH_RC4_128_SHA"}}]}},"certificate_info":{"status":"COMPLETED","result":{"certificate_deployments":[{"leaf_certificate_subject_matches_hostname":false,"path_validation_results":[{"openssl_error_string":"self signed","trust_store":{"name":"Mozilla","version":"1"}}]}]}}}}]}`,
	`{"sslyze_version":"1.4.0","server_scan_results":[{"server_info":{"server_location":{"hostname":"b","ip_address":"::1","port":8443}},"scan_commands_results":{"session_renegotiation":{"accepts_client_renegotiation":true,"supports_secure_renegotiation":false},"ssl_3_0_cipher_suites":{"accepted_cipher_suites":[{"cipher_suite":{"name":"X"}}]}}}]}`,
	`<document SSLyzeVersion="1.4"><results><target host="h" ip="10.0.0.2" port="443" tlsWrappedProtocol="https"><heartbleed><openSslHeartbleed isVulnerable="True"/></heartbleed><tlsv1 isProtocolSupported="True"><acceptedCipherSuites><cipherSuite name="TLS_RSA_WITH_AES_128_CBC_SHA"/></acceptedCipherSuites></tlsv1></target></results></document>`,
}
