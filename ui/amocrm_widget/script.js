/*
 * The clinic's booking widget for the amoCRM lead card (location lcard-1).
 *
 * The manager picks a date and, if they like, the service (by default the clinic's «Номенклатура AmoCRM»),
 * then a doctor from the list of doctors who work that day (for a service: those who perform it), then a
 * time from that doctor's free slots (a group service's begun slots show their places taken, «11:00 (3/8)»);
 * service, doctor and time can only be chosen, never typed, so the clinic's ERP always gets correct data. The button books the appointment (a posted Request in the ERP) and
 * shows its number, or the server's error as it is.
 *
 * Every call goes through amoCRM's $authorizedAjax, which adds the disposable token (X-Auth-Token,
 * a JWT the ERP checks); the ERP's address comes from the widget settings (backend_url).
 */
define([], function () {
  'use strict';

  var PREFIX = 'erp-clinic-booking';

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === 'text') {
        node.textContent = attrs[key];
      } else {
        node.setAttribute(key, attrs[key]);
      }
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function option(value, text, disabled) {
    var node = el('option', {value: value, text: text});
    if (disabled) {
      node.disabled = true;
    }
    return node;
  }

  function fill(select, placeholder, items) {
    while (select.firstChild) {
      select.removeChild(select.firstChild);
    }
    select.appendChild(option('', placeholder, false));
    items.forEach(function (item) { select.appendChild(option(item.value, item.text, false)); });
    select.value = '';
    select.disabled = items.length === 0;
  }

  return function () {
    var self = this;
    var state = {day: '', doctors: [], services: [], busy: false};

    function t(key, values) {
      var texts = (self.i18n && self.i18n('card')) || {};
      var text = texts[key] || key;
      Object.keys(values || {}).forEach(function (name) { text = text.replace('{' + name + '}', values[name]); });
      return text;
    }

    function backend() {
      var settings = (self.get_settings && self.get_settings()) || {};
      return String(settings.backend_url || '').replace(/\/+$/, '');
    }

    function leadId() {
      var card = window.AMOCRM && AMOCRM.data && AMOCRM.data.current_card;
      var id = card && Number(card.id);
      return id > 0 ? id : null;
    }

    function part(name) {
      return document.getElementById(PREFIX + '-' + name);
    }

    function say(text, kind) {
      var box = part('message');
      if (box) {
        box.textContent = text;
        box.setAttribute('data-kind', kind || 'info');
        box.style.color = kind === 'error' ? '#c0392b' : (kind === 'success' ? '#1e8449' : '#555');
      }
    }

    function errorText(failure) {
      var body = failure && (failure.responseJSON || null);
      if (!body && failure && failure.responseText) {
        try { body = JSON.parse(failure.responseText); } catch (ignored) { body = null; }
      }
      if (body && body.message) {
        return body.message;
      }
      if (failure && failure.status) {
        return t('error') + ' ' + failure.status;
      }
      return t('network_error');
    }

    // amoCRM's $authorizedAjax returns a jqXHR (done/fail); a plain promise works too.
    function call(method, path, body) {
      var settings = {url: backend() + path, type: method, method: method, dataType: 'json'};
      if (body) {
        settings.data = JSON.stringify(body);
        settings.contentType = 'application/json';
      }
      return new Promise(function (resolve, reject) {
        var request = self.$authorizedAjax(settings);
        if (request && typeof request.done === 'function') {
          request.done(function (data) { resolve(data); }).fail(function (xhr) { reject(xhr); });
        } else {
          Promise.resolve(request).then(resolve, reject);
        }
      });
    }

    function showDoctors() {
      var doctors = state.doctors.map(function (d) { return {value: String(d.id), text: d.name}; });
      fill(part('doctor'), doctors.length ? t('choose_doctor') : t('no_doctors'), doctors);
      fill(part('time'), t('choose_doctor'), []);
      part('submit').disabled = true;
    }

    function chosenService() {
      var id = part('service') ? part('service').value : '';
      return state.services.filter(function (s) { return String(s.id) === id; })[0] || null;
    }

    function showServices() {
      var items = state.services.map(function (s) {
        var text = s.name + (s.group_capacity ? ' (' + t('group', {places: s.group_capacity}) + ')' : '');
        return {value: String(s.id), text: text};
      });
      fill(part('service'), t('any_service'), items);
      part('service').disabled = false;
    }

    function loadServices() {
      if (!backend()) {
        return Promise.resolve();
      }
      return call('GET', '/api/amocrm/widget/services').then(function (answer) {
        state.services = answer || [];
        showServices();
      }, function (failure) {
        say(errorText(failure), 'error');
      });
    }

    function showTimes() {
      var id = part('doctor').value;
      var doctor = state.doctors.filter(function (d) { return String(d.id) === id; })[0];
      var service = chosenService();
      var slots = doctor ? doctor.slots.map(function (s) {
        var taken = (doctor.taken || {})[s];
        var places = taken && service && service.group_capacity ? ' (' + taken + '/' + service.group_capacity + ')' : '';
        return {value: s, text: s + places};
      }) : [];
      fill(part('time'), doctor ? (slots.length ? t('choose_time') : t('no_slots')) : t('choose_doctor'), slots);
      part('submit').disabled = true;
    }

    function loadSlots(keepMessage) {
      var day = part('date').value;
      state.day = day;
      state.doctors = [];
      showDoctors();
      if (!day) {
        return Promise.resolve();
      }
      if (!backend()) {
        say(t('not_configured'), 'error');
        return Promise.resolve();
      }
      if (!keepMessage) {
        say(t('loading'));
      }
      var service = chosenService();
      var query = '?date=' + encodeURIComponent(day) + (service ? '&service_id=' + service.id : '');
      return call('GET', '/api/amocrm/widget/slots' + query).then(function (answer) {
        if (part('date').value !== day || chosenService() !== service) {
          return;
        }
        state.doctors = (answer && answer.doctors) || [];
        showDoctors();
        if (!keepMessage) {
          say(state.doctors.length ? '' : t('no_doctors'));
        }
      }, function (failure) {
        say(errorText(failure), 'error');
      });
    }

    function book() {
      var lead = leadId();
      if (state.busy) {
        return;
      }
      if (!lead) {
        say(t('no_lead'), 'error');
        return;
      }
      var body = {
        lead_id: lead,
        date: part('date').value,
        doctor_id: Number(part('doctor').value),
        time: part('time').value
      };
      var service = chosenService();
      if (service) {
        body.service_id = service.id;
      }
      var client = part('client').value.trim();
      if (client) {
        body.client_name = client;
      }
      state.busy = true;
      part('submit').disabled = true;
      say(t('sending'));
      call('POST', '/api/amocrm/widget/appointments', body).then(function (answer) {
        state.busy = false;
        say(t('created', {number: answer.number}), 'success');
        return loadSlots(true);
      }, function (failure) {
        state.busy = false;
        say(errorText(failure), 'error');
        part('submit').disabled = !part('time').value;
      });
    }

    function form() {
      var field = function (name, control, hint) {
        var label = el('label', {'for': PREFIX + '-' + name, text: t(name) + (hint ? ' (' + hint + ')' : '')});
        label.style.display = 'block';
        label.style.margin = '8px 0 2px';
        control.style.width = '100%';
        control.style.boxSizing = 'border-box';
        return el('div', {}, [label, control]);
      };
      var root = el('div', {id: PREFIX, 'class': PREFIX}, [
        field('date', el('input', {id: PREFIX + '-date', type: 'date'})),
        field('service', el('select', {id: PREFIX + '-service'})),
        field('doctor', el('select', {id: PREFIX + '-doctor', disabled: 'disabled'})),
        field('time', el('select', {id: PREFIX + '-time', disabled: 'disabled'})),
        field('client', el('input', {id: PREFIX + '-client', type: 'text', maxlength: '250', autocomplete: 'off'}),
          t('client_hint')),
        el('button', {id: PREFIX + '-submit', type: 'button', disabled: 'disabled', text: t('button')}),
        el('div', {id: PREFIX + '-message', role: 'status', 'aria-live': 'polite'})
      ]);
      root.querySelector('button').style.marginTop = '10px';
      root.querySelector('[role=status]').style.marginTop = '8px';
      return root;
    }

    function mount() {
      if (document.getElementById(PREFIX)) {
        return;
      }
      var root = form();
      if (typeof self.render_template === 'function') {
        self.render_template({
          caption: {class_name: PREFIX + '-caption'},
          body: '',
          render: '<div id="' + PREFIX + '-slot"></div>'
        });
      }
      (document.getElementById(PREFIX + '-slot') || document.body).appendChild(root);
      fill(part('service'), t('any_service'), []);
      part('service').disabled = false;
      fill(part('doctor'), t('choose_date'), []);
      fill(part('time'), t('choose_date'), []);
      loadServices();
    }

    function onChange(event) {
      var id = event.target && event.target.id;
      if (id === PREFIX + '-date' || id === PREFIX + '-service') {
        loadSlots(false);
      } else if (id === PREFIX + '-doctor') {
        showTimes();
      } else if (id === PREFIX + '-time') {
        part('submit').disabled = !part('time').value || state.busy;
      }
    }

    function onClick(event) {
      if (event.target && event.target.id === PREFIX + '-submit') {
        book();
      }
    }

    this.callbacks = {
      render: function () {
        var area = self.system ? self.system().area : 'lcard';
        if (!area || area === 'lcard') {
          mount();
        }
        return true;
      },
      init: function () {
        return true;
      },
      bind_actions: function () {
        if (!self.__erpBound) {
          document.addEventListener('change', onChange);
          document.addEventListener('click', onClick);
          self.__erpBound = true;
        }
        return true;
      },
      settings: function () {
        return true;
      },
      onSave: function () {
        return true;
      },
      destroy: function () {
        document.removeEventListener('change', onChange);
        document.removeEventListener('click', onClick);
        self.__erpBound = false;
      }
    };
    return this;
  };
});
