/**
 * Abuse limits (draft-ietf-oauth-browser-based-apps §6.1.3.5): every user
 * shares the BFF's address at the provider and the API, so one client must not
 * exhaust them. Keys are client IPs, which is only right with a correct
 * `trust proxy` setting (TRUST_PROXY).
 */
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { AppError } from '../errors.js';

function limiter(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, res, next) => {
      res.setHeader('Retry-After', '60');
      next(
        new AppError(429, 'rate_limited', 'Too many requests. Please wait a minute and try again.', {
          headers: { 'Retry-After': '60' },
        }),
      );
    },
  });
}

export const loginRateLimit = limiter;
export const apiRateLimit = limiter;
