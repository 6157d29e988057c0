package bedrock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/switchyard/switchyard/internal/config"
)

// Service is the SigV4 signing name of the Bedrock runtime.
const Service = "bedrock"

// Signer signs requests with AWS Signature Version 4 and static credentials.
type Signer struct {
	AccessKeyID     string
	SecretAccessKey config.Secret
	// SessionToken is set for temporary credentials ("" otherwise).
	SessionToken config.Secret
	Region       string
	// Now is the signing clock; nil means time.Now.
	Now func() time.Time
	// v4 caches derived signing keys; nil (a Signer not made by NewSigner) signs with a
	// fresh one each time.
	v4 *v4.Signer
}

// NewSigner returns a Signer for static credentials in region.
func NewSigner(accessKeyID string, secret, sessionToken config.Secret, region string) *Signer {
	return &Signer{AccessKeyID: accessKeyID, SecretAccessKey: secret, SessionToken: sessionToken, Region: region, v4: v4.NewSigner()}
}

// Sign adds the SigV4 headers (Authorization, X-Amz-Date, X-Amz-Security-Token) for body.
func (s *Signer) Sign(ctx context.Context, req *http.Request, body []byte) error {
	sum := sha256.Sum256(body)
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	creds := aws.Credentials{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey.Reveal(),
		SessionToken: s.SessionToken.Reveal()}
	signer := s.v4
	if signer == nil {
		signer = v4.NewSigner()
	}
	return signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), Service, s.Region, now().UTC())
}
