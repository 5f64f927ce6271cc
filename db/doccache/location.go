package doccache

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// S3Location is where a cache shared by instances keeps its objects
// (package s3cache), from BILAG_CACHE_URL.
type S3Location struct {
	Bucket, Prefix string
	// Endpoint is host[:port]; Secure says https.
	Endpoint string
	Secure   bool
	Region   string
}

// ParseS3URL reads s3://bucket/prefix?endpoint=https://host:port&region=R.
// Without endpoint it is AWS S3 over https. Credentials are refused: they
// belong in their own settings, not in a URL that gets logged and shown.
func ParseS3URL(raw string) (S3Location, error) {
	var l S3Location
	u, err := url.Parse(raw)
	if err != nil {
		return l, errors.New("not a URL")
	}
	if u.Scheme != "s3" {
		return l, fmt.Errorf("scheme %q: only s3:// is known", u.Scheme)
	}
	if u.User != nil {
		return l, errors.New("credentials in the URL: give them in BILAG_CACHE_S3_ACCESS_KEY and BILAG_CACHE_S3_SECRET_KEY")
	}
	l.Bucket = u.Host
	if l.Bucket == "" {
		return l, errors.New("no bucket (s3://bucket/prefix)")
	}
	l.Prefix = strings.Trim(u.Path, "/")
	if l.Prefix != "" {
		l.Prefix += "/"
	}
	q := u.Query()
	for k := range q {
		if k != "endpoint" && k != "region" {
			return l, fmt.Errorf("unknown parameter %q (endpoint, region)", k)
		}
	}
	l.Region = q.Get("region")
	l.Endpoint, l.Secure = "s3.amazonaws.com", true
	if e := q.Get("endpoint"); e != "" {
		eu, err := url.Parse(e)
		if err != nil || (eu.Scheme != "http" && eu.Scheme != "https") || eu.Host == "" || eu.User != nil || (eu.Path != "" && eu.Path != "/") {
			return l, errors.New("endpoint must be http(s)://host[:port]")
		}
		l.Endpoint, l.Secure = eu.Host, eu.Scheme == "https"
	}
	return l, nil
}
