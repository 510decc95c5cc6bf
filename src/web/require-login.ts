/**
 * Routes behind a login. Pages redirect to /login and come back afterwards;
 * API calls get 401 JSON, never a redirect to the provider (the error handler
 * decides which, from the path).
 */
import type { RequestHandler } from 'express';
import { LoginRequiredError } from '../errors.js';

export const requireLogin: RequestHandler = (req, _res, next) => {
  next(req.session?.user ? undefined : new LoginRequiredError());
};
