/**
 * Rate limiting (local bucket4j + Caffeine, distributed Redis via lettuce), per DESIGN.md's
 * "Limit" step. Not built yet: see the rate-limiting issue. The module exists so the build has
 * its final shape and the dependency direction (ratelimit depends on config only) is fixed.
 */
package dev.edgegateway.ratelimit;
