/**
 * A file upload from a plain HTML form (multipart/form-data), read into memory up to a limit. It runs before
 * the CSRF check so that the check can read the form's `_csrf` field; the file goes to res.locals.uploads.
 * One small parser instead of a dependency: staff upload one text file at a time.
 */
import type { RequestHandler } from 'express';
import { BadRequestError, PayloadTooLargeError } from '../../errors/index.js';

export interface UploadedFile {
  filename: string;
  contentType: string;
  data: Buffer;
}

export function uploadBody(options: { limitBytes: number; maxParts?: number }): RequestHandler {
  return (req, res, next) => {
    const type = req.headers['content-type'] ?? '';
    // Only signed-in staff get their upload read; anyone else is refused after, by the CSRF check or sign-in.
    if (!/^multipart\/form-data/i.test(type) || !res.locals.user) return next();
    const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(type);
    if (!boundary) return next(new BadRequestError('The upload has no multipart boundary.'));
    // Past the limit the rest of the upload is read and dropped, so the client, still sending, gets the 413
    // instead of a broken pipe; past twice the limit the connection is cut.
    let over = Number(req.headers['content-length'] ?? 0) > options.limitBytes;
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > options.limitBytes) over = true;
      if (size > 2 * options.limitBytes) {
        done = true;
        req.destroy();
        return;
      }
      if (!over) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on('error', (error) => {
      if (!done) (done = true), next(error);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      if (over) return next(new PayloadTooLargeError(`The file is larger than ${Math.round(options.limitBytes / 1_000_000)} MB.`, { details: { reason: 'size', max: Math.round(options.limitBytes / 1_000_000) } }));
      try {
        const { fields, files } = parseMultipart(Buffer.concat(chunks), boundary[1] ?? boundary[2]!, options.maxParts ?? 20);
        req.body = fields;
        res.locals.uploads = files;
        next();
      } catch (error) {
        next(error);
      }
    });
  };
}

export function parseMultipart(body: Buffer, boundary: string, maxParts: number): { fields: Record<string, string>; files: Record<string, UploadedFile> } {
  const fields: Record<string, string> = Object.create(null);
  const files: Record<string, UploadedFile> = Object.create(null);
  const delimiter = Buffer.from(`--${boundary}`);
  let position = body.indexOf(delimiter);
  if (position < 0) throw new BadRequestError('The upload could not be read.');
  for (let parts = 0; ; parts += 1) {
    position += delimiter.length;
    if (body.subarray(position, position + 2).toString() === '--') break;
    if (parts >= maxParts) throw new BadRequestError('The upload has too many parts.');
    const headerEnd = body.indexOf('\r\n\r\n', position);
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), position);
    if (headerEnd < 0 || next < 0 || headerEnd > next) throw new BadRequestError('The upload could not be read.');
    const headers = body.subarray(position, headerEnd).toString('utf8');
    const content = body.subarray(headerEnd + 4, next);
    const disposition = /content-disposition:\s*form-data;([^\r\n]*)/i.exec(headers)?.[1] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    if (name && name !== '__proto__') {
      if (filename !== undefined) files[name] = { filename, contentType: /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1]?.trim() ?? '', data: Buffer.from(content) };
      else fields[name] = content.toString('utf8');
    }
    position = next + 2;
  }
  return { fields, files };
}
