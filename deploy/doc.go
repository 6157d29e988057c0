// Package deploy holds Switchyard's container image recipe (Dockerfile), a compose file
// (compose.yaml: Redis, two instances, fakellm) and Kubernetes manifests (k8s/). Its only Go
// code is deploy_test.go, which checks them against Switchyard itself; see README.md.
package deploy
