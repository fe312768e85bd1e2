/**
 * The control sidecar: generates EKS, Global Accelerator and monitoring artifacts from the
 * gateway config. Not built yet: see the control-sidecar issue. Depends on config only.
 */
package dev.edgegateway.deploy;
