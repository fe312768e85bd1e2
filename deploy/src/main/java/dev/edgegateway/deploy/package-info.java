/**
 * The control sidecar: generates the EKS manifests, the Global Accelerator templates
 * (CloudFormation and Terraform) and the monitoring artifacts (ServiceMonitor, PrometheusRule,
 * Grafana dashboard) from the gateway's own config and its {@code deploy} section, once or
 * whenever the config changes. Depends on config only.
 */
package dev.edgegateway.deploy;
