// A compiled webhook receiver, the benchmark's second anchor beside the bare aiohttp
// server: net/http with franz-go, a Zubie-style HMAC-SHA256 check, and a durable write
// (acks=all, idempotent) acknowledged before the 200. Not part of fleetwire: bench/
// builds it into its own output directory and runs it with GOMAXPROCS=1.
//
//	RECEIVER_SECRETS=S goreceiver -addr 127.0.0.1:PORT -brokers HOST:PORT -topic TOPIC -source NAME
//
// RECEIVER_SECRETS holds the app secrets, one a line: in the environment, not in ps.
package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

const (
	signatureHeader = "Zubie-Signature"
	maxBody         = 1 << 20
)

var accepted = []byte(`{"status":"accepted"}`)

type receiver struct {
	client   *kgo.Client
	topic    string
	source   string
	provider string
	keys     [][]byte
}

// verify compares the presented signature with every secret's, in constant time.
func (r *receiver) verify(presented string, body []byte) bool {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(presented))
	if err != nil {
		return false
	}
	found := false
	for _, key := range r.keys {
		mac := hmac.New(sha256.New, key)
		mac.Write(body)
		found = hmac.Equal(mac.Sum(nil), raw) || found
	}
	return found
}

func (r *receiver) webhook(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if strings.TrimPrefix(req.URL.Path, "/webhooks/") != r.source {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	if !r.verify(req.Header.Get(signatureHeader), body) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	digest := sha256.Sum256(body)
	key := make([]byte, hex.EncodedLen(len(digest)))
	hex.Encode(key, digest[:])
	record := &kgo.Record{
		Topic: r.topic,
		Key:   key,
		Value: body,
		Headers: []kgo.RecordHeader{
			{Key: "fleetwire-source", Value: []byte(r.source)},
			{Key: "fleetwire-provider", Value: []byte(r.provider)},
			{Key: "fleetwire-received-at", Value: []byte(time.Now().UTC().Format("2006-01-02T15:04:05.000Z"))},
			{Key: "content-type", Value: []byte("application/json")},
		},
	}
	// the answer waits for every in-sync replica, as the ingress's does
	if err := r.client.ProduceSync(req.Context(), record).FirstErr(); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(accepted)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	brokers := flag.String("brokers", "127.0.0.1:9092", "comma-separated bootstrap servers")
	topic := flag.String("topic", "", "the raw topic to write")
	source := flag.String("source", "zubie", "the source name in /webhooks/{source}")
	provider := flag.String("provider", "zubie", "the provider header value")
	flag.Parse()
	var keys []string
	for _, line := range strings.Split(os.Getenv("RECEIVER_SECRETS"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			keys = append(keys, line)
		}
	}
	if *topic == "" || len(keys) == 0 {
		log.Fatal("goreceiver: -topic and RECEIVER_SECRETS are required")
	}
	client, err := kgo.NewClient(
		kgo.SeedBrokers(strings.Split(*brokers, ",")...),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.ProducerLinger(0),
	)
	if err != nil {
		log.Fatalf("goreceiver: %v", err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	if err := client.Ping(ctx); err != nil {
		log.Fatalf("goreceiver: kafka not reachable: %v", err)
	}
	cancel()
	r := &receiver{client: client, topic: *topic, source: *source, provider: *provider}
	for _, k := range keys {
		r.keys = append(r.keys, []byte(k))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })
	mux.HandleFunc("/webhooks/", r.webhook)
	server := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(server.ListenAndServe())
}
